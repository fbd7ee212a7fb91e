/**
 * Running the platform's apps as processes, for the `npm start` launcher, the e2e suite, the
 * benchmarks and the chaos test: `buildApps()` bundles every app once, `AppProcess` runs one built app
 * (logs, output for error messages, memory, readiness, supervision), `appEnvironment` and
 * `appReadiness` say how each app is wired and when it is up, `PrivateRedis` runs a redis-server of the
 * caller's own, `startAutovacuumStandIn` vacuums and analyzes a database whose server runs without
 * autovacuum; `freePort` and `waitUntil` are the small helpers around them.
 */
export {
  AppProcess,
  type AppProcessEvent,
  type AppProcessOptions,
  type AppProgram,
  type AppReadiness,
} from './app-process';
export {
  APP_NODE_OPTIONS,
  buildApps,
  builtEntryOf,
  bundleEntry,
  PLATFORM_APPS,
  WORKSPACE_ROOT,
  type PlatformApp,
} from './build-apps';
export {
  AUTOVACUUM_STAND_IN_INTERVAL_MS,
  maintenanceDue,
  startAutovacuumStandIn,
  type AutovacuumStandIn,
  type MaintenanceAction,
  type TableActivity,
} from './autovacuum';
export { freePort } from './free-port';
export { isNotableLine, OutputTail, summarizeLine } from './output-tail';
export { readProcessMemory, type MemorySample } from './process-memory';
export { readCommandCpuMs, readProcessCpuMs } from './process-cpu';
export {
  appEnvironment,
  freeHttpPorts,
  HTTP_APPS,
  LOCAL_HTTP_PORTS,
  LOCAL_OPS_PORTS,
  freeOpsPorts,
  upstreamUrls,
  upstreamUrlVariable,
  isHttpApp,
  throwawaySecrets,
  type BackgroundApp,
  type HttpApp,
  type PlatformWiring,
} from './platform-environment';
export { appReadiness, WORKER_READY_MESSAGES } from './readiness';
export {
  PrivateRedis,
  RedisServerMissingError,
  redisAnswersPing,
  type PrivateRedisOptions,
} from './private-redis';
export { waitUntil } from './wait-until';
