import assert from 'node:assert/strict';

export interface MicroBatcherOptions<R> {
  /** Does the work for a batch of distinct keys; answers one result per key, in the keys' order. */
  run(keys: string[]): Promise<R[]>;
  /** Flush as soon as this many distinct keys wait. */
  batch_size_max: number;
  /**
   * Flush this long after the first key of a batch arrived, however few wait. 0 flushes once the
   * current turn of the event loop is over (`setImmediate`): the keys of every request read in the same
   * turn share a batch, and none waits for a timer (Node's shortest is 1 ms).
   */
  linger_ms: number;
  /**
   * Batches run at once (default 2). While that many are in flight, new keys gather into the next
   * batch instead of starting small batches of their own: under load the batches grow (group commit)
   * instead of multiplying, and each holds at most one database connection.
   */
  batches_in_flight_max?: number;
  /**
   * Whether a failed batch of several keys is run again key by key, so that one bad key fails alone
   * and its neighbours still succeed (default: always). Answer false for errors that are about the
   * moment, not the data (contention that outlasted its retries): every key then fails, and the
   * callers' own retries (a job's backoff) are the remedy.
   */
  split_after?: (error: unknown) => boolean;
  /** Told when a batch failed and is split (to log it). */
  on_split?: (keys: readonly string[], error: unknown) => void;
  /** Told when a key run alone failed (to log it). */
  on_key_failed?: (key: string, error: unknown) => void;
  /** Told when a batch is answered (its metrics): how many keys, how it went, and how long it took, splits included. */
  on_batch?: (batch: FinishedBatch) => void;
}

/** A batch once every key in it has its answer. */
export interface FinishedBatch {
  keys: number;
  /** `ok`: one run answered every key; `split`: it failed and ran again key by key; `failed`: every key failed. */
  outcome: 'ok' | 'split' | 'failed';
  duration_s: number;
}

export interface MicroBatcher<R> {
  /** Runs one key together with whatever else was submitted meanwhile; resolves with its result. */
  submit(key: string): Promise<R>;
  /** Runs what is waiting and waits for every batch in flight. Later submits are refused. */
  close(): Promise<void>;
}

interface Waiter<R> {
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Groups concurrent `submit` calls (typically one per queue job) into one `run` call, so a busy
 * worker pays its statements, locks and commit once per batch instead of once per job. A key
 * submitted twice while waiting is run once and both submits get its result.
 */
export function createMicroBatcher<R>(options: MicroBatcherOptions<R>): MicroBatcher<R> {
  assert.ok(
    Number.isInteger(options.batch_size_max) && options.batch_size_max >= 1,
    'batch_size_max must be >= 1',
  );
  assert.ok(options.linger_ms >= 0, 'linger_ms must be >= 0');
  const batches_in_flight_max = options.batches_in_flight_max ?? 2;
  assert.ok(
    Number.isInteger(batches_in_flight_max) && batches_in_flight_max >= 1,
    'batches_in_flight_max must be >= 1',
  );
  const split_after = options.split_after ?? (() => true);

  let waiting = new Map<string, Array<Waiter<R>>>();
  /** Full batches waiting for a free slot, oldest first. */
  const full: Array<Map<string, Array<Waiter<R>>>> = [];
  /** Cancels the pending flush; null when none is pending. */
  let cancelScheduledFlush: (() => void) | null = null;
  const schedule =
    options.linger_ms === 0
      ? (): (() => void) => {
          const immediate = setImmediate(flush);
          return () => clearImmediate(immediate);
        }
      : (): (() => void) => {
          const timeout = setTimeout(flush, options.linger_ms);
          return () => clearTimeout(timeout);
        };
  let closed = false;
  const inFlight = new Set<Promise<void>>();

  function start(batch: Map<string, Array<Waiter<R>>>): void {
    const running = runBatch(batch).finally(() => {
      inFlight.delete(running);
      // A slot is free: the oldest full batch goes first, else whatever gathered meanwhile.
      const next = full.shift();
      if (next !== undefined) start(next);
      else flush();
    });
    inFlight.add(running);
  }

  /** Starts the waiting batch now if a slot is free; a full one that cannot start yet is set aside. */
  function flush(): void {
    cancelScheduledFlush?.();
    cancelScheduledFlush = null;
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
  async function runBatch(batch: Map<string, Array<Waiter<R>>>): Promise<void> {
    const keys = [...batch.keys()];
    const started_at = performance.now();
    const finished = (outcome: FinishedBatch['outcome']) =>
      options.on_batch?.({
        keys: keys.length,
        outcome,
        duration_s: (performance.now() - started_at) / 1_000,
      });
    try {
      const results = await options.run(keys);
      assert.equal(results.length, keys.length, 'run answered a different number of results than keys');
      results.forEach((result, index) => settle(batch.get(keys[index]!), result));
      finished('ok');
    } catch (error) {
      if (keys.length === 1 || !split_after(error)) {
        for (const waiters of batch.values()) fail(waiters, error);
        finished('failed');
        return;
      }
      options.on_split?.(keys, error);
      for (const key of keys) {
        try {
          const [result] = await options.run([key]);
          assert.ok(result !== undefined, 'run answered no result for a key');
          settle(batch.get(key), result);
        } catch (keyError) {
          options.on_key_failed?.(key, keyError);
          fail(batch.get(key), keyError);
        }
      }
      finished('split');
    }
  }

  return {
    submit(key) {
      if (closed) return Promise.reject(new Error('the batcher is closed'));
      return new Promise<R>((resolve, reject) => {
        const waiters = waiting.get(key);
        if (waiters === undefined) waiting.set(key, [{ resolve, reject }]);
        else waiters.push({ resolve, reject });
        if (waiting.size >= options.batch_size_max) flush();
        else cancelScheduledFlush ??= schedule();
      });
    },

    async close() {
      closed = true;
      cancelScheduledFlush?.();
      cancelScheduledFlush = null;
      // Everything still waiting runs now, slots or not: close() must not leave a submit unanswered.
      for (const batch of [...full.splice(0), waiting]) if (batch.size > 0) start(batch);
      waiting = new Map();
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

function settle<R>(waiters: Array<Waiter<R>> | undefined, result: R): void {
  assert.ok(waiters !== undefined, 'a result for a key nobody submitted');
  for (const waiter of waiters) waiter.resolve(result);
}

function fail<R>(waiters: Array<Waiter<R>> | undefined, error: unknown): void {
  for (const waiter of waiters ?? []) waiter.reject(error);
}
