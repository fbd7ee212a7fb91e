import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until it yields a value (errors count as "not yet"), or throws after `timeout_ms`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false>,
  { timeout_ms, interval_ms = 50, what }: { timeout_ms: number; interval_ms?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await sleep(interval_ms);
  }
}
