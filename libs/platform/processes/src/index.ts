/**
 * Small helpers for code that runs the platform's apps as processes and waits for them: the e2e
 * suite, the benchmarks and the chaos test.
 */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

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
