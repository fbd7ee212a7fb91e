import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export interface DatabaseOptions {
  url: string;
  pool_size_max: number;
  statement_timeout_ms: number;
  /** Shown in pg_stat_activity, so operators can tell which process holds a connection. */
  application_name?: string;
}

/**
 * Every connection starts with READ COMMITTED as its default isolation, whatever the server's default,
 * so transactions that want it need not say so: Prisma's `isolationLevel` option costs one extra
 * round trip (`SET TRANSACTION ...`) per transaction, on the hottest paths we have.
 */
const CONNECTION_OPTIONS = '-c default_transaction_isolation=read\\ committed';

/** Builds a Prisma client on the pg driver adapter with a bounded pool. The caller owns `$disconnect()`. */
export function createPrismaClient(options: DatabaseOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.url,
    max: options.pool_size_max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statement_timeout_ms,
    application_name: options.application_name ?? 'ledgerline',
    options: CONNECTION_OPTIONS,
  });
  return new PrismaClient({ adapter });
}

export type Database = PrismaClient;
