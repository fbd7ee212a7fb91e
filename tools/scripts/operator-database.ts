import type { DatabaseConfig } from '@ledgerline/config';
import { createPrismaClient, type Database } from '@ledgerline/db';

export interface OperatorDatabaseOptions {
  /** Shown in `pg_stat_activity`, so a DBA sees which command holds a connection. */
  application_name: string;
  /** Default 1: a command runs one statement at a time. */
  pool_size_max?: number;
  /** Default DATABASE_STATEMENT_TIMEOUT_MS, the services' request budget. */
  statement_timeout_ms?: number;
}

/** The Prisma client of an operator command (tools/scripts), from the database part of its configuration. */
export function openOperatorDatabase(config: DatabaseConfig, options: OperatorDatabaseOptions): Database {
  return createPrismaClient({
    url: config.DATABASE_URL,
    pool_size_max: options.pool_size_max ?? 1,
    statement_timeout_ms: options.statement_timeout_ms ?? config.DATABASE_STATEMENT_TIMEOUT_MS,
    application_name: options.application_name,
  });
}
