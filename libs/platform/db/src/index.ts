/**
 * Database access for Ledgerline: the Prisma client (pg driver adapter), the migrator and
 * transaction helpers. Only `type:data-access` libraries may depend on this one.
 */
export {
  createPrismaClient,
  preparedStatementNamer,
  PREPARED_STATEMENTS_MAX,
  type Database,
  type DatabaseOptions,
} from './client';
export {
  migrate,
  readMigrations,
  MigrationError,
  type Migration,
  type MigrationResult,
} from './migrator/migrator';
export {
  withTransactionRetry,
  retryWhileUnavailable,
  isRetryableTransactionError,
  isTransientDatabaseError,
  sqlStateOf,
  type RetryOptions,
} from './transaction-retry';
export { newRowId } from './row-ids';
export { positionsArray, rowsColumn, sqlArray, type StatementRow } from './sql-array/sql-array';
export { transferStatusIn, transferStatusIs } from './transfer-status';
export * from './generated/client';
