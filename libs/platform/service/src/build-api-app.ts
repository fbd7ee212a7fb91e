import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { auditPlugin } from '@ledgerline/audit';
import { authPlugin, watchDisabledClients, type JwtOptions } from '@ledgerline/auth';
import { isTransientDatabaseError, type Database } from '@ledgerline/db';
import { isTransientRedisError } from '@ledgerline/queue';
import { buildServiceApp, type LogLevel, type ServiceApp, type ServiceAppOptions } from '@ledgerline/http';
import { databaseAndRedisChecks } from './readiness-checks';

export interface ApiAppOptions {
  service_name: string;
  openapi: NonNullable<ServiceAppOptions['openapi']>;
  db: Database;
  /** Rate-limit counters (and whatever else the service keeps in Redis). */
  redis: Redis;
  jwt: JwtOptions;
  /** Prefix of this deployment's Redis keys (`QUEUE_PREFIX`; unique per test file). */
  key_prefix: string;
  log_level: LogLevel;
  /** Where log lines go; stdout when absent. */
  log_destination?: DestinationStream;
  body_limit_bytes?: number;
  /** Set behind the gateway, so rate limits and logs see the client's address. */
  trust_proxy?: boolean | string;
  rate_limit: { max: number; time_window_ms: number };
  /** How often the disabled API clients are read again (see `watchDisabledClients`). Default 5 000 ms. */
  disabled_clients_refresh_ms?: number;
}

/** A disabled client's live token works at most this much longer on each API (tokens live 15 minutes). */
const DISABLED_CLIENTS_REFRESH_MS = 5_000;

/**
 * A service app with what every authenticated API has: rate limits shared through Redis, readiness of the
 * database and Redis, bearer-token authentication (refusing the tokens of disabled clients), and an
 * audit record of every mutating request.
 * Register the service's routes on the result. The caller owns `db` and `redis` and closes them.
 */
export async function buildApiApp(options: ApiAppOptions): Promise<ServiceApp> {
  const { db, redis } = options;
  const app = await buildServiceApp({
    service_name: options.service_name,
    // Either store briefly out of reach is a 503 the caller may retry: a Postgres transaction rolls
    // back, a Redis command refused offline never ran, and the Redis actions of the ops API (pause,
    // resume, retry a failed job) come to the same state when repeated.
    is_transient_error: (error) => isTransientDatabaseError(error) || isTransientRedisError(error),
    log_level: options.log_level,
    ...(options.log_destination === undefined ? {} : { log_destination: options.log_destination }),
    ...(options.body_limit_bytes === undefined ? {} : { body_limit_bytes: options.body_limit_bytes }),
    trust_proxy: options.trust_proxy ?? false,
    rate_limit: { ...options.rate_limit, redis, key_prefix: options.key_prefix },
    readiness_checks: databaseAndRedisChecks(db, redis),
    openapi: options.openapi,
  });
  const disabled_clients = watchDisabledClients({
    db,
    refresh_ms: options.disabled_clients_refresh_ms ?? DISABLED_CLIENTS_REFRESH_MS,
    on_refresh_failed: (error) =>
      app.log.warn({ err: error }, 'disabled API clients not read; the last list read stays in use'),
  });
  // Read first once the app is built (a read while Fastify was still building it raised accounts-api's
  // peak RSS under the reads benchmark from about 170 to 200 MB, measured, not explained), and before it
  // listens: onReady completes before `listen` binds, so a restarted API never serves a disabled client.
  app.addHook('onReady', () => disabled_clients.start());
  app.addHook('onClose', async () => disabled_clients.stop());
  await app.register(authPlugin, { jwt: options.jwt, disabled_clients });
  // After auth, so each record names its actor; before the routes, so every mutating request is recorded.
  await app.register(auditPlugin, { db });
  return app;
}
