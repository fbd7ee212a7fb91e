import closeWithGrace from 'close-with-grace';
import { pino, type Logger } from 'pino';
import type { Static, TObject } from 'typebox';
import { ConfigError, loadConfig, stdoutLogDestination, type DatabaseConfig, type LogConfig } from '@ledgerline/config';
import { createPrismaClient, type Database } from '@ledgerline/db';

/** What every background service's configuration has, whatever else it adds. */
type BackgroundServiceConfig = DatabaseConfig & LogConfig & { SHUTDOWN_GRACE_MS: number };

export interface BackgroundServiceDefinition<S extends TObject> {
  service_name: string;
  config_schema: S;
  /**
   * Starts the service's workers. Import heavy modules inside, so a bad configuration is reported
   * before BullMQ and the workers load. The returned `close` must let in-flight jobs finish.
   */
  start(context: { config: Static<S>; db: Database; logger: Logger }): Promise<{ close(): Promise<void> }>;
}

/**
 * The `main` of a background service (relay, workers): reads the configuration once (a bad value
 * prints one line and exits 1), builds the logger and the Prisma client, starts the service, and on
 * SIGTERM/SIGINT closes it and then the database, within SHUTDOWN_GRACE_MS.
 */
export function runBackgroundService<S extends TObject>(
  definition: BackgroundServiceDefinition<S>,
  environment: Readonly<Record<string, string | undefined>>,
): void {
  const service = definition.service_name;
  const fail = (message: string): never => {
    process.stderr.write(`${service}: ${message}\n`);
    process.exit(1);
  };
  const main = async () => {
    let config: Static<S> & BackgroundServiceConfig;
    try {
      config = loadConfig(definition.config_schema, environment) as Static<S> & BackgroundServiceConfig;
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      throw error;
    }
    const logger = pino(
      { level: config.LOG_LEVEL, base: { service }, timestamp: pino.stdTimeFunctions.isoTime },
      stdoutLogDestination(),
    );
    const db = createPrismaClient({
      url: config.DATABASE_URL,
      pool_size_max: config.DATABASE_POOL_SIZE_MAX,
      statement_timeout_ms: config.DATABASE_STATEMENT_TIMEOUT_MS,
      application_name: `ledgerline-${service}`,
    });
    const running = await definition.start({ config, db, logger });
    closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
      if (err) logger.error({ err }, 'shutting down after an uncaught error');
      else logger.info({ signal }, 'shutting down');
      await running.close();
      await db.$disconnect();
      logger.info('stopped');
    });
  };
  main().catch((error: unknown) => fail(`failed to start: ${error instanceof Error ? error.message : String(error)}`));
}
