import Type, { type Static } from 'typebox';
import {
  DatabaseConfigSchema,
  LogConfigSchema,
  OpsConfigSchema,
  RedisConfigSchema,
} from '@ledgerline/config';

/** The ledger worker's environment. */
export const LedgerWorkerConfigSchema = Type.Object({
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...OpsConfigSchema.properties,
  /** Ledger jobs in flight at once; concurrent jobs are posted together by the micro-batcher. */
  LEDGER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1_000, default: 256 }),
  /**
   * The most transfers one posting transaction advances. A batch costs one commit whatever its size,
   * so under load larger batches post more per second (bench/: ledger-engine); under light load
   * batches stay small anyway, since the linger is short.
   */
  LEDGER_BATCH_SIZE_MAX: Type.Integer({ minimum: 1, maximum: 1_000, default: 256 }),
  /** Posting transactions at once; jobs arriving meanwhile gather into the next batch. */
  LEDGER_BATCHES_IN_FLIGHT_MAX: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
  /** How long the first job of a batch waits for others before the batch is posted. */
  LEDGER_LINGER_MS: Type.Integer({ minimum: 0, maximum: 1_000, default: 2 }),
  /** Hold-expiry jobs in flight at once (they share the micro-batcher). */
  HOLD_EXPIRY_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  /** How often the sweeper looks for expired holds that no delayed job voided. */
  HOLD_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
  /** The most expired holds one sweep advances. */
  HOLD_SWEEP_BATCH_SIZE_MAX: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  /** How often the sweeper looks for transfers whose screening or ledger job was lost or failed. */
  STUCK_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 30_000 }),
  /**
   * How long a transfer waiting for screening or the ledger may go untouched before its job is added
   * again. Well above a healthy queue's latency, so the sweeper only duplicates jobs in a real backlog.
   */
  STUCK_TRANSFER_AFTER_MS: Type.Integer({ minimum: 10_000, maximum: 86_400_000, default: 60_000 }),
  /** The most stuck transfers one sweep re-queues in each waiting status (received, screening, approved, pending). */
  STUCK_SWEEP_BATCH_SIZE_MAX: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  /** How long shutdown may take (in-flight jobs finish first) before the process exits with 1. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 30_000 }),
});
export type LedgerWorkerConfig = Static<typeof LedgerWorkerConfigSchema>;
