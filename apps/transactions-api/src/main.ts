import { pino } from 'pino';
import { jwtOptionsFromConfig } from '@ledgerline/auth';
import { ConfigError, loadConfig, stdoutLogDestination } from '@ledgerline/config';
import { createPrismaClient } from '@ledgerline/db';
import { installGracefulShutdown } from '@ledgerline/http';
import { createProducerConnection } from '@ledgerline/queue';
import { buildTransactionsApp } from './app';
import { TransactionsApiConfigSchema, type TransactionsApiConfig } from './config';

const SERVICE = 'transactions-api';

/** Reads the configuration once; anything wrong is one line on stderr and exit code 1. */
function readConfig(): { config: TransactionsApiConfig; jwt: ReturnType<typeof jwtOptionsFromConfig> } {
  try {
    const config = loadConfig(TransactionsApiConfigSchema, process.env);
    if (config.HOLD_EXPIRES_IN_SECONDS_DEFAULT > config.HOLD_EXPIRES_IN_SECONDS_MAX) {
      throw new ConfigError(
        'Invalid configuration: HOLD_EXPIRES_IN_SECONDS_DEFAULT must not exceed HOLD_EXPIRES_IN_SECONDS_MAX',
      );
    }
    return { config, jwt: jwtOptionsFromConfig(config) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${SERVICE}: ${error.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const { config, jwt } = readConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: SERVICE } }, stdoutLogDestination());
  const db = createPrismaClient({
    url: config.DATABASE_URL,
    pool_size_max: config.DATABASE_POOL_SIZE_MAX,
    statement_timeout_ms: config.DATABASE_STATEMENT_TIMEOUT_MS,
    application_name: `ledgerline-${SERVICE}`,
  });
  // Rate-limit counters live in Redis so the limit holds across instances. Nothing on the money path
  // touches Redis: accepted transfers reach the queues through the outbox relay.
  const redis = createProducerConnection({
    url: config.REDIS_URL,
    connection_name: `ledgerline-${SERVICE}`,
    logger,
  });

  const app = await buildTransactionsApp({
    db,
    jwt,
    log_level: config.LOG_LEVEL,
    body_limit_bytes: config.BODY_LIMIT_BYTES,
    trust_proxy: config.TRUST_PROXY,
    rate_limit: {
      max: config.RATE_LIMIT_MAX,
      time_window_ms: config.RATE_LIMIT_WINDOW_MS,
      redis,
      key_prefix: config.QUEUE_PREFIX,
    },
    readiness_checks: {
      database: () => db.$queryRaw`SELECT 1`,
      redis: () => redis.ping(),
    },
    transfer_options: {
      idempotency_ttl_seconds: config.IDEMPOTENCY_TTL_SECONDS,
      hold_expires_in_seconds_default: config.HOLD_EXPIRES_IN_SECONDS_DEFAULT,
      hold_expires_in_seconds_max: config.HOLD_EXPIRES_IN_SECONDS_MAX,
      transaction_timeout_ms: config.TRANSFER_TRANSACTION_TIMEOUT_MS,
    },
    idempotency_sweep_interval_ms: config.IDEMPOTENCY_SWEEP_INTERVAL_MS,
  });
  // Runs after in-flight requests finished: their transactions have committed or rolled back.
  app.addHook('onClose', async () => {
    await db.$disconnect();
    await redis.quit().catch(() => redis.disconnect());
  });
  installGracefulShutdown(app, { grace_ms: config.SHUTDOWN_GRACE_MS });
  await app.listen({ host: config.HOST, port: config.PORT });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${SERVICE}: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
