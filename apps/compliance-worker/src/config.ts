import Type, { type Static } from 'typebox';
import {
  DatabaseConfigSchema,
  LogConfigSchema,
  OpsConfigSchema,
  RedisConfigSchema,
} from '@ledgerline/config';
import { EncryptionConfigSchema } from '@ledgerline/crypto';
import { ComplianceRulesConfigSchema } from '@ledgerline/screening';

/** The compliance worker's environment. */
export const ComplianceWorkerConfigSchema = Type.Object({
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...OpsConfigSchema.properties,
  /** Screening jobs processed at once by one process; each holds at most one database connection at a time. */
  SCREENING_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  /** The most concurrent jobs' transfers screened by one claim statement and one decision statement. */
  SCREENING_BATCH_SIZE_MAX: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
  /** How long the first job of a screening batch waits for others. */
  SCREENING_LINGER_MS: Type.Integer({ minimum: 0, maximum: 1_000, default: 2 }),
  /** Screening batches at once; jobs arriving meanwhile gather into the next one. */
  SCREENING_BATCHES_IN_FLIGHT_MAX: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
  /** Customers' keyring: sanctions screening decrypts names and dates of birth (in memory only). */
  ...EncryptionConfigSchema.properties,
  /** The compliance rules' thresholds: screening, sanctions matching and the reports apply them. */
  ...ComplianceRulesConfigSchema.properties,
  /** Reports run at once by one process; a report reads for minutes, holding one database connection at a time. */
  REPORTS_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 2, default: 1 }),
  /** A report whose CSV would be larger fails (`too_large`) instead of growing the worker's memory; the table's ceiling is 64 MiB. */
  REPORTS_CONTENT_BYTES_MAX: Type.Integer({
    minimum: 1_024,
    maximum: 64 * 1024 * 1024,
    default: 16 * 1024 * 1024,
  }),
  /** Customers per range and rows per query of a report's reads. */
  REPORTS_PAGE_SIZE: Type.Integer({ minimum: 10, maximum: 10_000, default: 500 }),
  /** Sanctions jobs (a customer's screening, a rescreening of every customer) processed at once. */
  SANCTIONS_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  /** How long shutdown may take (in-flight jobs finish first) before the process exits with 1. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 30_000 }),
});
export type ComplianceWorkerConfig = Static<typeof ComplianceWorkerConfigSchema>;
