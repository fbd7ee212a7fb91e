/**
 * Starts accounts-api: reads the environment once (see `AccountsApiConfigSchema` in ./config for every
 * variable and its default), connects Postgres and Redis, creates the bootstrap admin client when
 * BOOTSTRAP_ADMIN_CLIENT_ID and BOOTSTRAP_ADMIN_CLIENT_SECRET are set (waiting up to a minute for a
 * database that is not reachable yet), and listens (port 3001 by default). SIGTERM/SIGINT drain
 * in-flight requests, then close Redis and Postgres. Bad configuration (a bad keyring included) prints
 * one line and exits with 1.
 */
import { ensureBootstrapAdmin } from '@ledgerline/auth';
import { cipherFromConfig } from '@ledgerline/crypto';
import { retryWhileUnavailable } from '@ledgerline/db';
import { apiAppOptionsFromConfig, runHttpService } from '@ledgerline/service';
import { buildAccountsApp } from './app';
import { AccountsApiConfigSchema, bootstrapAdminOf, DEV_ENCRYPTION_KEY_ID } from './config';

/** How long start-up waits for an unreachable database (a Postgres restarting beside us) before giving up. */
const STARTUP_DATABASE_WAIT_MS = 60_000;

runHttpService(
  {
    service_name: 'accounts-api',
    config_schema: AccountsApiConfigSchema,
    build: async ({ config, db, redis }) => {
      const bootstrapAdmin = bootstrapAdminOf(config);
      const app = await buildAccountsApp({
        db,
        redis,
        cipher: cipherFromConfig(config),
        ...apiAppOptionsFromConfig(config),
        login_throttle: {
          failures_max_per_client: config.AUTH_FAILURES_MAX_PER_CLIENT,
          failures_max_per_ip: config.AUTH_FAILURES_MAX_PER_IP,
          window_ms: config.AUTH_LOCKOUT_WINDOW_MS,
        },
      });
      if (config.ENCRYPTION_ACTIVE_KEY_ID === DEV_ENCRYPTION_KEY_ID) {
        app.log.warn(
          'ENCRYPTION_KEYS is the built-in development key: customer data is NOT protected. Local development only.',
        );
      }
      if (bootstrapAdmin !== null) {
        const outcome = await retryWhileUnavailable(() => ensureBootstrapAdmin({ db, ...bootstrapAdmin }), {
          deadline_ms: STARTUP_DATABASE_WAIT_MS,
          on_retry: (error) =>
            app.log.warn({ err: error }, 'database unavailable at start; retrying the bootstrap admin'),
        });
        app.log.info({ client_id: bootstrapAdmin.client_id, outcome }, 'bootstrap admin client');
      }
      return app;
    },
  },
  process.env,
);
