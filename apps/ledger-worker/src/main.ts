import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { createPrismaClient } from '@ledgerline/db';
import { LedgerWorkerConfigSchema, type LedgerWorkerConfig } from './config';

const SERVICE = 'ledger-worker';

async function main(): Promise<void> {
  let config: LedgerWorkerConfig;
  try {
    config = loadConfig(LedgerWorkerConfigSchema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${SERVICE}: ${error.message}\n`);
    process.exit(1);
  }
  // The queue and worker modules load once the configuration is known to be good.
  const { startLedgerWorker } = await import('./app');
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
  const app = await startLedgerWorker({
    db,
    redis_url: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.LEDGER_CONCURRENCY,
    batch_size_max: config.LEDGER_BATCH_SIZE_MAX,
    linger_ms: config.LEDGER_LINGER_MS,
    hold_expiry_concurrency: config.HOLD_EXPIRY_CONCURRENCY,
    hold_sweep_interval_ms: config.HOLD_SWEEP_INTERVAL_MS,
    hold_sweep_batch_size_max: config.HOLD_SWEEP_BATCH_SIZE_MAX,
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
