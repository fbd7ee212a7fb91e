import assert from 'node:assert/strict';
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
   * Batches posted at once (default 2). While that many are in flight, new ids gather into the next
   * batch instead of starting small batches of their own: concurrent batches touching the same
   * (hot) account only queue on its row lock, so more of them buy nothing but smaller batches.
   */
  batches_in_flight_max?: number;
  logger?: LedgerLogger;
}

export interface AdvanceBatcher {
  /** Advances one transfer together with whatever else was submitted meanwhile; resolves with its result. */
  submit(transfer_id: string): Promise<AdvanceResult>;
  /** Flushes what is waiting and waits for every batch in flight. Later submits are refused. */
  close(): Promise<void>;
}

interface Waiter {
  resolve(result: AdvanceResult): void;
  reject(error: unknown): void;
}

/**
 * Groups concurrent `submit` calls (one per BullMQ job) into one posting-engine call, so that a busy
 * worker takes its locks and writes its entries once per batch instead of once per transfer.
 *
 * No batch exceeds `batch_size_max` ids, and at most `batches_in_flight_max` batches are posted at
 * once, each holding one database connection. Ids that arrive meanwhile wait for the next free slot,
 * so under load the batches grow (group commit) instead of multiplying.
 *
 * A batch that fails with a non-retryable error (one transfer whose data breaks an assertion, say)
 * is retried id by id, so the bad transfer fails alone and its neighbours still advance. A batch
 * that keeps failing with serialization failures or deadlocks after the engine's own retries is
 * failed as a whole: that is contention, not bad data, and the jobs' backoff is the right remedy.
 */
export function createAdvanceBatcher(options: AdvanceBatcherOptions): AdvanceBatcher {
  assert.ok(
    Number.isInteger(options.batch_size_max) && options.batch_size_max >= 1,
    'batch_size_max must be >= 1',
  );
  assert.ok(
    options.batch_size_max <= options.engine.batch_size_max,
    'the batcher cannot flush more ids than the engine accepts',
  );
  assert.ok(options.linger_ms >= 0, 'linger_ms must be >= 0');
  const batches_in_flight_max = options.batches_in_flight_max ?? 2;
  assert.ok(Number.isInteger(batches_in_flight_max) && batches_in_flight_max >= 1, 'batches_in_flight_max must be >= 1');
  const logger = options.logger ?? SILENT_LOGGER;

  let waiting = new Map<string, Waiter[]>();
  /** Full batches waiting for a free slot, oldest first. */
  const full: Array<Map<string, Waiter[]>> = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const inFlight = new Set<Promise<void>>();

  function start(batch: Map<string, Waiter[]>): void {
    const run = advanceBatch(batch).finally(() => {
      inFlight.delete(run);
      // A slot is free: the oldest full batch goes first, else whatever gathered meanwhile.
      const next = full.shift();
      if (next !== undefined) start(next);
      else flush();
    });
    inFlight.add(run);
  }

  /** Starts the waiting batch now if a slot is free; a full one that cannot start yet is set aside. */
  function flush(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (waiting.size === 0) return;
    if (inFlight.size >= batches_in_flight_max) {
      if (waiting.size >= options.batch_size_max) {
        full.push(waiting);
        waiting = new Map();
      }
      return;
    }
    const batch = waiting;
    waiting = new Map();
    start(batch);
  }

  /** Never rejects: every outcome, success or failure, goes to the waiters. */
  async function advanceBatch(batch: Map<string, Waiter[]>): Promise<void> {
    const ids = [...batch.keys()];
    try {
      const results = await options.engine.advance(ids);
      results.forEach((result, index) => settle(batch.get(ids[index]!), result));
    } catch (error) {
      if (ids.length === 1 || isRetryableTransactionError(error)) {
        for (const waiters of batch.values()) fail(waiters, error);
        return;
      }
      logger.warn(
        { transfers: ids.length, error: describe(error) },
        'ledger batch failed; advancing its transfers one by one',
      );
      for (const id of ids) {
        try {
          const [result] = await options.engine.advance([id]);
          settle(batch.get(id), result);
        } catch (singleError) {
          logger.error({ transfer_id: id, error: describe(singleError) }, 'ledger advance failed');
          fail(batch.get(id), singleError);
        }
      }
    }
  }

  return {
    submit(transferId) {
      if (closed) return Promise.reject(new Error('the advance batcher is closed'));
      return new Promise<AdvanceResult>((resolve, reject) => {
        const waiters = waiting.get(transferId);
        if (waiters === undefined) waiting.set(transferId, [{ resolve, reject }]);
        else waiters.push({ resolve, reject });
        if (waiting.size >= options.batch_size_max) flush();
        else timer ??= setTimeout(flush, options.linger_ms);
      });
    },

    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      // Everything still waiting is posted now, slots or not: close() must not leave a submit unanswered.
      for (const batch of [...full.splice(0), waiting]) if (batch.size > 0) start(batch);
      waiting = new Map();
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

function settle(waiters: Waiter[] | undefined, result: AdvanceResult | undefined): void {
  assert.ok(
    waiters !== undefined && result !== undefined,
    'the engine answered for an id it was not asked about',
  );
  for (const waiter of waiters) waiter.resolve(result);
}

function fail(waiters: Waiter[] | undefined, error: unknown): void {
  for (const waiter of waiters ?? []) waiter.reject(error);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
