import { setTimeout as sleep } from 'node:timers/promises';

/** SQLSTATEs after which re-running the whole transaction is safe and likely to succeed. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** Finds a Postgres SQLSTATE in an error thrown through Prisma's driver adapter or by pg directly. */
export function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const candidate = current as { code?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate.code;
    const adapterCause = (candidate.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined)
      ?.cause?.originalCode;
    if (typeof adapterCause === 'string') return adapterCause;
    const originalCode = (candidate as { originalCode?: unknown }).originalCode;
    if (typeof originalCode === 'string') return originalCode;
    current = candidate.cause ?? candidate.meta?.driverAdapterError;
  }
  return undefined;
}

export function isRetryableTransactionError(error: unknown): boolean {
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
