import Type, { type Static } from 'typebox';
import {
  DatabaseConfigSchema,
  LogConfigSchema,
  OpsConfigSchema,
  RedisConfigSchema,
} from '@ledgerline/config';

/** The outbox relay's environment. */
export const OutboxRelayConfigSchema = Type.Object({
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...OpsConfigSchema.properties,
  /** Rows published per transaction. */
  OUTBOX_BATCH_SIZE_MAX: Type.Integer({ minimum: 1, maximum: 1_000, default: 500 }),
  /** The pause after a scan that found nothing due: the longest a committed row waits for the relay. */
  OUTBOX_POLL_INTERVAL_MS: Type.Integer({ minimum: 5, maximum: 60_000, default: 20 }),
  /** A publish to Redis that takes longer is abandoned; its rows stay unpublished for the next run. */
  OUTBOX_PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
  /** Published rows are kept this long for investigations, then deleted. */
  OUTBOX_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 * 7 }),
  /** How often published rows older than the retention are deleted (in bounded batches). */
  OUTBOX_CLEANUP_INTERVAL_MS: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 60_000 }),
  /** How often the audit sealer chains new audit records (this process hosts it): their longest wait unsealed. */
  AUDIT_SEAL_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 500 }),
  /** How long shutdown may take before the process exits with 1. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 15_000 }),
});
export type OutboxRelayConfig = Static<typeof OutboxRelayConfigSchema>;
