import assert from 'node:assert/strict';
import { createMicroBatcher, type BatchMetrics, type MicroBatcher } from '@ledgerline/batching';
import { isRetryableTransactionError } from '@ledgerline/db';
import { SILENT_LOGGER, type LedgerLogger } from '../logger';
import type { AdvanceResult, PostingEngine } from '../posting-engine/posting-engine';

export interface AdvanceBatcherOptions {
  engine: PostingEngine;
  /** Flush as soon as this many distinct transfer ids wait; at most the engine's `batch_size_max`. */
  batch_size_max: number;
  /** Flush this long after the first id of a batch arrived, however few wait. */
  linger_ms: number;
  /**
   * Batches posted at once (default 2). The engine lets concurrent batches post apart, except for the
   * transfers whose accounts they share, which queue on those row locks; more batches in flight than
   * the database has cores to spare buy nothing but smaller batches.
   */
  batches_in_flight_max?: number;
  logger?: LedgerLogger;
  /** Where each posted batch is reported (`createBatchMetrics`); none when absent. */
  metrics?: BatchMetrics;
}

export type AdvanceBatcher = MicroBatcher<AdvanceResult>;

/**
 * Groups concurrent `submit` calls (one per BullMQ job) into one posting-engine call, so that a busy
 * worker takes its locks and writes its entries once per batch instead of once per transfer.
 *
 * A batch that fails with a non-retryable error (one transfer whose data breaks an assertion, say)
 * is retried id by id, so the bad transfer fails alone and its neighbours still advance. A batch
 * that keeps failing with serialization failures or deadlocks after the engine's own retries is
 * failed as a whole: that is contention, not bad data, and the jobs' backoff is the right remedy.
 */
export function createAdvanceBatcher(options: AdvanceBatcherOptions): AdvanceBatcher {
  assert.ok(
    options.batch_size_max <= options.engine.batch_size_max,
    'the batcher cannot flush more ids than the engine accepts',
  );
  const logger = options.logger ?? SILENT_LOGGER;
  return createMicroBatcher({
    run: (ids) => options.engine.advance(ids),
    batch_size_max: options.batch_size_max,
    linger_ms: options.linger_ms,
    ...(options.batches_in_flight_max === undefined
      ? {}
      : { batches_in_flight_max: options.batches_in_flight_max }),
    split_after: (error) => !isRetryableTransactionError(error),
    on_split: (ids, error) =>
      logger.warn(
        { transfers: ids.length, error: describe(error) },
        'ledger batch failed; advancing its transfers one by one',
      ),
    on_key_failed: (id, error) =>
      logger.error({ transfer_id: id, error: describe(error) }, 'ledger advance failed'),
    on_batch: options.metrics,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
