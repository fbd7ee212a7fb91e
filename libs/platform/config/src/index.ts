/**
 * Typed, schema-validated configuration. Each app declares one TypeBox object schema whose property
 * names are environment variable names, and reads it once at start with {@link loadConfig}.
 * Nothing else in the code base reads `process.env`.
 */
export { loadConfig, ConfigError } from './load-config';
export {
  DatabaseConfigSchema,
  RedisConfigSchema,
  HttpConfigSchema,
  LogConfigSchema,
  OpsConfigSchema,
  type DatabaseConfig,
  type RedisConfig,
  type HttpConfig,
  type LogConfig,
  type OpsConfig,
} from './fragments';
/** Which service answers which path: the gateway, nginx (infra/) and the benchmark's nginx route alike. */
export {
  ROUTED_PREFIXES,
  UPSTREAM_NAMES,
  LARGE_BODY_ROUTES,
  SANCTIONS_LIST_BODY_LIMIT_BYTES,
  INTERNAL_PATHS,
  NO_ROUTE_DETAIL,
  type UpstreamName,
} from './routes';
/** Process-wide logging: the stdout destination every logger shares, and the access line. */
export { logRequestCompleted, stdoutLogDestination } from './logging';
