import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

export interface SweepLoop<T = unknown> {
  /** One sweep now, outside the loop (tests, and the loop itself). */
  sweepOnce(): Promise<T>;
  start(): void;
  /** Stops after the current sweep. */
  stop(): Promise<void>;
}

/**
 * Runs `sweep` at once and then `interval_ms` after each sweep ends, until stopped. A failed sweep is
 * logged and the next one retries: the database, not this loop, remembers what is left to do.
 */
export function createSweepLoop<T>(options: {
  sweep: () => Promise<T>;
  interval_ms: number;
  logger: Logger;
  /** The message of the error line of a failed sweep. */
  failure_message: string;
  /** Called after a failed sweep is logged (its metric). */
  on_failure?: () => void;
}): SweepLoop<T> {
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  async function run(): Promise<void> {
    while (!stopping.signal.aborted) {
      try {
        await options.sweep();
      } catch (error) {
        options.logger.error({ err: error }, options.failure_message);
        options.on_failure?.();
      }
      await sleep(options.interval_ms, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  }

  return {
    sweepOnce: options.sweep,
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
