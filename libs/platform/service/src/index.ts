/**
 * What every Ledgerline service process starts from (the authenticated HTTP APIs, the relay and the workers).
 *
 * - {@link buildApiApp}: the service app with rate limits, readiness, bearer-token authentication and
 *   audit records of mutating requests; register the routes on it.
 * - {@link runHttpService}: the `main` of such a service (configuration read once, Prisma and Redis
 *   built and closed, graceful shutdown, listen).
 * - {@link runBackgroundService}: the `main` of a relay or worker (configuration, Prisma, graceful close).
 * - {@link ApiConfigSchema} and {@link apiAppOptionsFromConfig}: the environment such a service reads
 *   ({@link trustProxyOf}: TRUST_PROXY as Fastify's `trustProxy`).
 */
export { buildApiApp, type ApiAppOptions } from './build-api-app';
export { runHttpService, type HttpServiceDefinition } from './run-http-service';
export {
  runBackgroundService,
  type BackgroundServiceDefinition,
  type OpenDatabase,
} from './run-background-service';
export { startOpsPort, type OpsPort } from './ops-port';
export { ApiConfigSchema, apiAppOptionsFromConfig, trustProxyOf, type ApiConfig } from './api-config';
