import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { OpsConfig, RedisConfig } from '@ledgerline/config';
import type { Database } from '@ledgerline/db';
import { buildOpsApp } from '@ledgerline/http';
import { createProducerConnection, waitForReady } from '@ledgerline/queue';
import { databaseAndRedisChecks } from './readiness-checks';

export interface OpsPort {
  /** Where it listens (`http://host:port`), or undefined when OPS_PORT is 0 and none was opened. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/**
 * Opens a background service's operations port (see `buildOpsApp`) on OPS_HOST:OPS_PORT, with the
 * readiness checks of the APIs (`databaseAndRedisChecks`), Redis on a connection of its own: the
 * workers' own connections wait out an outage by design, so they cannot tell. OPS_PORT 0 opens nothing.
 */
export async function startOpsPort(options: {
  service_name: string;
  config: OpsConfig & RedisConfig;
  db: Database;
  logger: Logger;
  /** The process's own metrics (`runBackgroundService`'s `metrics`), served beside the process ones. */
  registry?: Registry;
}): Promise<OpsPort> {
  const { config, db, logger } = options;
  if (config.OPS_PORT === 0) return { url: undefined, close: async () => undefined };
  const redis = createProducerConnection({
    url: config.REDIS_URL,
    connection_name: `ledgerline-${options.service_name}-ops`,
    logger,
  });
  const app = buildOpsApp({
    service_name: options.service_name,
    logger,
    readiness_checks: databaseAndRedisChecks(db, redis),
    registry: options.registry,
  });
  const closeRedis = () =>
    redis.quit().then(
      () => undefined,
      () => redis.disconnect(),
    );
  try {
    // So that the first probe after start is not refused for a connection still opening.
    await waitForReady(redis);
    const url = await app.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
    logger.info({ url }, 'operations port open');
    return {
      url,
      async close() {
        await app.close();
        await closeRedis();
      },
    };
  } catch (error) {
    await closeRedis();
    throw error;
  }
}
