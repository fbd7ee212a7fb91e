/**
 * Starts accounts-api: reads the environment once (see `AccountsApiConfigSchema` in ./config for every
 * variable and its default), connects Postgres and Redis, creates the bootstrap admin client when
 * BOOTSTRAP_ADMIN_CLIENT_ID and BOOTSTRAP_ADMIN_CLIENT_SECRET are set (waiting up to a minute for a
 * database that is not reachable yet), and listens (port 3001 by
 * default). SIGTERM/SIGINT drain in-flight requests, then close Redis and Postgres. Bad configuration
 * prints one line and exits with 1.
 */
import { ensureBootstrapAdmin, jwtOptionsFromConfig } from '@ledgerline/auth';
import { ConfigError, loadConfig, stdoutLogDestination } from '@ledgerline/config';
import { createEnvelopeCipher, KeyringError, parseKeyring } from '@ledgerline/crypto';
import { createPrismaClient, retryWhileUnavailable } from '@ledgerline/db';
import { installGracefulShutdown } from '@ledgerline/http';
import { createProducerConnection } from '@ledgerline/queue';
import { pino } from 'pino';
import { buildAccountsApp } from './app';
import { AccountsApiConfigSchema, bootstrapAdminOf, DEV_ENCRYPTION_KEY_ID } from './config';

const SERVICE_NAME = 'accounts-api';
/** How long start-up waits for an unreachable database (a Postgres restarting beside us) before giving up. */
const STARTUP_DATABASE_WAIT_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfig(AccountsApiConfigSchema, process.env);
  const jwt = jwtOptionsFromConfig(config);
  const bootstrapAdmin = bootstrapAdminOf(config);
  const cipher = createEnvelopeCipher({
    keyring: parseKeyring(config.ENCRYPTION_KEYS),
    active_key_id: config.ENCRYPTION_ACTIVE_KEY_ID,
  });

  const db = createPrismaClient({
    url: config.DATABASE_URL,
    pool_size_max: config.DATABASE_POOL_SIZE_MAX,
    statement_timeout_ms: config.DATABASE_STATEMENT_TIMEOUT_MS,
    application_name: SERVICE_NAME,
  });
  const redis = createProducerConnection({
    url: config.REDIS_URL,
    connection_name: SERVICE_NAME,
    logger: pino({ level: config.LOG_LEVEL, base: { service: SERVICE_NAME, component: 'redis' } }, stdoutLogDestination()),
  });

  const app = await buildAccountsApp({
    db,
    redis,
    cipher,
    jwt,
    key_prefix: config.QUEUE_PREFIX,
    log_level: config.LOG_LEVEL,
    body_limit_bytes: config.BODY_LIMIT_BYTES,
    trust_proxy: config.TRUST_PROXY,
    rate_limit: { max: config.RATE_LIMIT_MAX, time_window_ms: config.RATE_LIMIT_WINDOW_MS },
    login_throttle: {
      failures_max_per_client: config.AUTH_FAILURES_MAX_PER_CLIENT,
      failures_max_per_ip: config.AUTH_FAILURES_MAX_PER_IP,
      window_ms: config.AUTH_LOCKOUT_WINDOW_MS,
    },
  });
  app.addHook('onClose', async () => {
    await redis.quit();
    await db.$disconnect();
  });
  installGracefulShutdown(app, { grace_ms: config.SHUTDOWN_GRACE_MS });

  if (config.ENCRYPTION_ACTIVE_KEY_ID === DEV_ENCRYPTION_KEY_ID) {
    app.log.warn('ENCRYPTION_KEYS is the built-in development key: customer data is NOT protected. Local development only.');
  }
  if (bootstrapAdmin !== null) {
    const outcome = await retryWhileUnavailable(() => ensureBootstrapAdmin({ db, ...bootstrapAdmin }), {
      deadline_ms: STARTUP_DATABASE_WAIT_MS,
      on_retry: (error) => app.log.warn({ err: error }, 'database unavailable at start; retrying the bootstrap admin'),
    });
    app.log.info({ client_id: bootstrapAdmin.client_id, outcome }, 'bootstrap admin client');
  }
  await app.listen({ host: config.HOST, port: config.PORT });
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof KeyringError;
  process.stderr.write(`${SERVICE_NAME}: ${known ? (error as Error).message : `failed to start: ${(error as Error).message}`}\n`);
  process.exit(1);
});
