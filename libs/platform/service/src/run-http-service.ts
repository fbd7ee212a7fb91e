import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Static, TObject } from 'typebox';
import {
  ConfigError,
  loadConfig,
  stdoutLogDestination,
  type DatabaseConfig,
  type HttpConfig,
  type LogConfig,
  type RedisConfig,
} from '@ledgerline/config';
import { createPrismaClient, type Database } from '@ledgerline/db';
import { installGracefulShutdown, type ServiceApp } from '@ledgerline/http';
import { createProducerConnection } from '@ledgerline/queue';

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
  const fail = (message: string): never => {
    process.stderr.write(`${service}: ${message}\n`);
    process.exit(1);
  };
  const main = async () => {
    let config: Static<S> & HttpServiceConfig;
    try {
      config = loadConfig(definition.config_schema, environment) as Static<S> & HttpServiceConfig;
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      throw error;
    }
    const logger = pino({ level: config.LOG_LEVEL, base: { service } }, stdoutLogDestination());
    const db = createPrismaClient({
      url: config.DATABASE_URL,
      pool_size_max: config.DATABASE_POOL_SIZE_MAX,
      statement_timeout_ms: config.DATABASE_STATEMENT_TIMEOUT_MS,
      application_name: `ledgerline-${service}`,
    });
    const redis = createProducerConnection({ url: config.REDIS_URL, connection_name: `ledgerline-${service}`, logger });
    let app: ServiceApp;
    try {
      app = await definition.build({ config, db, redis, logger });
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      throw error;
    }
    // Runs after in-flight requests finished: their transactions have committed or rolled back.
    app.addHook('onClose', async () => {
      await db.$disconnect();
      await redis.quit().catch(() => redis.disconnect());
    });
    installGracefulShutdown(app, { grace_ms: config.SHUTDOWN_GRACE_MS });
    await app.listen({ host: config.HOST, port: config.PORT });
  };
  main().catch((error: unknown) => fail(`failed to start: ${error instanceof Error ? error.message : String(error)}`));
}
