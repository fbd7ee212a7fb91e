import { ConfigError, type DatabaseConfig } from '@ledgerline/config';
import { createPrismaClient, type Database, type DatabaseOptions } from '@ledgerline/db';

/**
 * Runs a service's start-up and reports a failure the one way every Ledgerline service does: one line
 * on stderr, `<service>: <message>`, and exit code 1. A `ConfigError` (a bad variable, or values valid
 * alone but not together) is shown as it is; anything else as `failed to start: <message>`, no stack.
 */
export function runServiceMain(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `${service}: ${error instanceof ConfigError ? message : `failed to start: ${message}`}\n`,
    );
    process.exit(1);
  });
}

/**
 * The service's Prisma client, named `ledgerline-<service>` in `pg_stat_activity` (`ledgerline-<service>-<role>`
 * for a second client of one process); `plans` as in {@link DatabaseOptions}.
 */
export function serviceDatabase(
  service: string,
  config: DatabaseConfig,
  options: { plans?: DatabaseOptions['plans'] | undefined; role?: string } = {},
): Database {
  return createPrismaClient({
    url: config.DATABASE_URL,
    pool_size_max: config.DATABASE_POOL_SIZE_MAX,
    statement_timeout_ms: config.DATABASE_STATEMENT_TIMEOUT_MS,
    application_name:
      options.role === undefined ? `ledgerline-${service}` : `ledgerline-${service}-${options.role}`,
    plans: options.plans ?? 'auto',
  });
}
