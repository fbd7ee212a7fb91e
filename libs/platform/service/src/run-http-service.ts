import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Static, TObject } from 'typebox';
import {
  loadConfig,
  stdoutLogDestination,
  type DatabaseConfig,
  type HttpConfig,
  type LogConfig,
  type RedisConfig,
} from '@ledgerline/config';
import type { Database } from '@ledgerline/db';
import { installGracefulShutdown } from '@ledgerline/http';
import type { ServiceApp } from '@ledgerline/http';
import { createProducerConnection, waitForReady } from '@ledgerline/queue';
import { runServiceMain, serviceDatabase } from './service-main';

/** What every HTTP service's configuration has, whatever else it adds. */
type HttpServiceConfig = HttpConfig & DatabaseConfig & RedisConfig & LogConfig;

export interface HttpServiceDefinition<S extends TObject> {
  service_name: string;
  config_schema: S;
  /**
   * Builds the app (routes registered, not listening). A `ConfigError` thrown here (a value that is
   * valid alone but not with another) is reported like a bad variable.
   */
  build(context: { config: Static<S>; db: Database; redis: Redis; logger: Logger }): Promise<ServiceApp>;
}

/**
 * The `main` of an HTTP service: reads the configuration once (a bad value prints one line and exits
 * 1), builds the Prisma client and a Redis connection (rate limits; queues for those that add jobs
 * directly), builds the app, closes both after in-flight requests finished on SIGTERM/SIGINT, and listens.
 */
export function runHttpService<S extends TObject>(
  definition: HttpServiceDefinition<S>,
  environment: Readonly<Record<string, string | undefined>>,
): void {
  const service = definition.service_name;
  runServiceMain(service, async () => {
    const config = loadConfig(definition.config_schema, environment) as Static<S> & HttpServiceConfig;
    const logger = pino({ level: config.LOG_LEVEL, base: { service } }, stdoutLogDestination());
    const db = serviceDatabase(service, config);
    const redis = createProducerConnection({
      url: config.REDIS_URL,
      connection_name: `ledgerline-${service}`,
      logger,
    });
    const app = await definition.build({ config, db, redis, logger });
    // Runs after in-flight requests finished: their transactions have committed or rolled back.
    app.addHook('onClose', async () => {
      await db.$disconnect();
      await redis.quit().catch(() => redis.disconnect());
    });
    installGracefulShutdown(app, { grace_ms: config.SHUTDOWN_GRACE_MS });
    // So that the first requests and readiness probes do not find Redis "down" while it connects.
    await waitForReady(redis);
    await app.listen({ host: config.HOST, port: config.PORT });
  });
}
