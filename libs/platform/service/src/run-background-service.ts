import closeWithGrace from 'close-with-grace';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Static, TObject } from 'typebox';
import {
  loadConfig,
  stdoutLogDestination,
  type DatabaseConfig,
  type LogConfig,
  type OpsConfig,
  type RedisConfig,
} from '@ledgerline/config';
import type { Database, DatabaseOptions } from '@ledgerline/db';
import { startOpsPort } from './ops-port';
import { runServiceMain, serviceDatabase } from './service-main';

/** What every background service's configuration has, whatever else it adds. */
type BackgroundServiceConfig = DatabaseConfig &
  RedisConfig &
  LogConfig &
  OpsConfig & { SHUTDOWN_GRACE_MS: number };

/** A second Prisma client of one service, for statements that want other plans (`DatabaseOptions['plans']`). */
export type OpenDatabase = (options: {
  role: string;
  plans: NonNullable<DatabaseOptions['plans']>;
}) => Database;

export interface BackgroundServiceDefinition<S extends TObject> {
  service_name: string;
  config_schema: S;
  /** How `db` plans its statements (see `DatabaseOptions['plans']`); `auto` when absent. */
  plans?: DatabaseOptions['plans'];
  /**
   * Starts the service's workers. Import heavy modules inside, so a bad configuration is reported
   * before BullMQ and the workers load. The returned `close` must let in-flight jobs finish. A
   * `ConfigError` thrown here is reported like a bad variable.
   */
  start(context: {
    config: Static<S>;
    db: Database;
    /** Opens another client; it is disconnected with `db`, after `close()`. */
    openDatabase: OpenDatabase;
    logger: Logger;
    /**
     * Where the service registers its own metrics (`createJobMetrics`, `createRelayMetrics`); the
     * operations port's `/metrics` serves them with the process metrics. Without OPS_PORT nobody reads it.
     */
    metrics: Registry;
  }): Promise<{ close(): Promise<void> }>;
}

/**
 * The `main` of a background service (relay, workers): reads the configuration once (a bad value
 * prints one line and exits 1), builds the logger and the Prisma client, starts the service, opens its
 * operations port when OPS_PORT is set (`/healthz`, `/readyz`, `/metrics`), and on SIGTERM/SIGINT
 * closes the service, then the port and its database clients, within SHUTDOWN_GRACE_MS.
 */
export function runBackgroundService<S extends TObject>(
  definition: BackgroundServiceDefinition<S>,
  environment: Readonly<Record<string, string | undefined>>,
): void {
  const service = definition.service_name;
  runServiceMain(service, async () => {
    const config = loadConfig(definition.config_schema, environment) as Static<S> & BackgroundServiceConfig;
    const logger = pino(
      { level: config.LOG_LEVEL, base: { service }, timestamp: pino.stdTimeFunctions.isoTime },
      stdoutLogDestination(),
    );
    const db = serviceDatabase(service, config, { plans: definition.plans });
    const databases = [db];
    const openDatabase: OpenDatabase = (options) => {
      const opened = serviceDatabase(service, config, options);
      databases.push(opened);
      return opened;
    };
    const metrics = new Registry();
    const running = await definition.start({ config, db, openDatabase, logger, metrics });
    // Opened once the workers run, so that a probe never finds the process ready before it consumes.
    const ops = await startOpsPort({ service_name: service, config, db, logger, registry: metrics });
    closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
      if (err) logger.error({ err }, 'shutting down after an uncaught error');
      else logger.info({ signal }, 'shutting down');
      await running.close();
      await ops.close();
      await Promise.all(databases.map((database) => database.$disconnect()));
      logger.info('stopped');
    });
  });
}
