import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { createPrismaClient } from '@ledgerline/db';
import { ComplianceWorkerConfigSchema, type ComplianceWorkerConfig } from './config';

const SERVICE = 'compliance-worker';

async function main(): Promise<void> {
  let config: ComplianceWorkerConfig;
  try {
    config = loadConfig(ComplianceWorkerConfigSchema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${SERVICE}: ${error.message}\n`);
    process.exit(1);
  }
  // The queue and worker modules load once the configuration is known to be good.
  const { startComplianceWorker } = await import('./app');
  const logger = pino({
    level: config.LOG_LEVEL,
    base: { service: SERVICE },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  const db = createPrismaClient({
    url: config.DATABASE_URL,
    pool_size_max: config.DATABASE_POOL_SIZE_MAX,
    statement_timeout_ms: config.DATABASE_STATEMENT_TIMEOUT_MS,
    application_name: `ledgerline-${SERVICE}`,
  });
  const app = await startComplianceWorker({
    db,
    redis_url: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.SCREENING_CONCURRENCY,
    logger,
  });
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an uncaught error');
    else logger.info({ signal }, 'shutting down');
    await app.close();
    await db.$disconnect();
    logger.info('stopped');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${SERVICE}: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
