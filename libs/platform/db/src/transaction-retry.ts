import { setTimeout as sleep } from 'node:timers/promises';

/** SQLSTATEs after which re-running the whole transaction is safe and likely to succeed. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** Prisma's own error codes (P1xxx..P6xxx); PL/pgSQL's SQLSTATEs are P0000..P0004. */
const PRISMA_ERROR_CODE = /^P[1-9][0-9]{3}$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Finds the Postgres SQLSTATE of an error thrown by pg directly or through Prisma's driver adapter,
 * where it sits in `meta.driverAdapterError.cause.originalCode` under a Prisma code such as P2010.
 */
export function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const candidate = current as {
      code?: unknown;
      originalCode?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    const adapterCode = (
      candidate.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined
    )?.cause?.originalCode;
    if (typeof adapterCode === 'string' && SQLSTATE.test(adapterCode)) return adapterCode;
    if (typeof candidate.originalCode === 'string' && SQLSTATE.test(candidate.originalCode))
      return candidate.originalCode;
    if (
      typeof candidate.code === 'string' &&
      SQLSTATE.test(candidate.code) &&
      !PRISMA_ERROR_CODE.test(candidate.code)
    ) {
      return candidate.code;
    }
    current = candidate.cause ?? candidate.meta?.driverAdapterError;
  }
  return undefined;
}

export function isRetryableTransactionError(error: unknown): boolean {
  // P2034: Prisma's own "write conflict or deadlock, please retry".
  if ((error as { code?: unknown } | null)?.code === 'P2034') return true;
  const state = sqlStateOf(error);
  return state !== undefined && RETRYABLE_SQLSTATES.has(state);
}

export interface RetryOptions {
  attempts_max: number;
  backoff_base_ms: number;
}

/**
 * Runs `work` and re-runs it after serialization failures and deadlocks, with full jitter so that
 * colliding transactions do not collide again. `work` must be a whole transaction: safe to repeat.
 */
export async function withTransactionRetry<T>(
  work: () => Promise<T>,
  options: RetryOptions = { attempts_max: 8, backoff_base_ms: 5 },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.attempts_max || !isRetryableTransactionError(error)) throw error;
      const ceiling_ms = options.backoff_base_ms * 2 ** (attempt - 1);
      await sleep(Math.random() * ceiling_ms);
    }
  }
}

/** Prisma's "could not start a transaction in time" (pool exhausted) and "cannot reach the database". */
const TRANSIENT_PRISMA_CODES = new Set(['P2028', 'P1001', 'P1002', 'P1017', 'P2024']);
/** SQLSTATE classes 08 (connection) and 57P (operator intervention: shutdown, crash recovery), 53 (resources). */
const TRANSIENT_SQLSTATE = /^(08|57P|53)/;
/**
 * How Prisma's driver adapter reports connection faults of raw queries, which carry no Prisma code and
 * no SQLSTATE (`meta.driverAdapterError.cause.kind`): the server is down or restarting, a connection
 * broke, the server is full.
 */
const TRANSIENT_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/**
 * True for faults that pass by themselves and left nothing half-done (the transaction never started
 * or was rolled back): a service answers 503 and the client retries, with its Idempotency-Key.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_PRISMA_CODES.has(code)) return true;
  const kind = (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | null)?.meta
    ?.driverAdapterError?.cause?.kind;
  if (typeof kind === 'string' && TRANSIENT_ADAPTER_KINDS.has(kind)) return true;
  const state = sqlStateOf(error);
  return (state !== undefined && TRANSIENT_SQLSTATE.test(state)) || isRetryableTransactionError(error);
}

/**
 * Runs `work` again while it fails with a transient database error (the server down, restarting or
 * full), every `interval_ms`, for at most `deadline_ms`; any other error, or the deadline, ends it with
 * the last error. For start-up work, so that a service started beside a restarting Postgres waits for
 * it instead of exiting. `work` must be safe to repeat.
 */
export async function retryWhileUnavailable<T>(
  work: () => Promise<T>,
  options: { deadline_ms: number; interval_ms?: number; on_retry?: (error: unknown) => void },
): Promise<T> {
  const deadline = Date.now() + options.deadline_ms;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientDatabaseError(error) || Date.now() >= deadline) throw error;
      options.on_retry?.(error);
      await sleep(options.interval_ms ?? 500);
    }
  }
}
