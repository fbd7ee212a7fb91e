import Type, { type Static } from 'typebox';
import { DatabaseConfigSchema, LogConfigSchema, RedisConfigSchema } from '@ledgerline/config';

/** The compliance worker's environment. */
export const ComplianceWorkerConfigSchema = Type.Object({
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  /** Screening jobs processed at once by one process; each holds at most one database connection at a time. */
  SCREENING_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  /** How long shutdown may take (in-flight jobs finish first) before the process exits with 1. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 30_000 }),
});
export type ComplianceWorkerConfig = Static<typeof ComplianceWorkerConfigSchema>;
