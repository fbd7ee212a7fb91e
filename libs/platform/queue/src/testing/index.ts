/**
 * Test helpers for code that uses queues: removing a test's Redis keys, waiting for an asynchronous
 * outcome, and a logger whose lines a test can read. Use `uniqueQueuePrefix()` from
 * `@ledgerline/db/testing` as the BullMQ prefix, and {@link deleteQueueKeys} with it after the tests.
 * {@link spawnApp} runs a worker's `main.ts` as its own process, to test configuration errors and
 * shutdown on signals.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';

/** Deletes every Redis key under a BullMQ prefix (`<prefix>:*`). */
export async function deleteQueueKeys(redis_url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new TypeError(`refusing to delete keys of prefix ${JSON.stringify(prefix)}`);
  const redis = new Redis(redis_url, { maxRetriesPerRequest: 3 });
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit();
  }
}

export interface WaitOptions {
  timeout_ms?: number;
  interval_ms?: number;
  /** Named in the error when the wait times out. */
  what?: string;
}

/** Polls `check` until it returns a value other than `undefined`, `null` or `false`, and returns it. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeout_ms ?? 10_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await sleep(options.interval_ms ?? 25);
  }
}

export interface CapturedLogger {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines: Array<Record<string, unknown>>;
}

/** A pino logger at `debug` that keeps its JSON lines in memory. */
export function captureLogger(): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

export interface SpawnedApp {
  /** Output lines so far (stdout and stderr); JSON lines are parsed. */
  lines: Array<Record<string, unknown> | string>;
  /** Resolves with the first line the predicate accepts. */
  waitForLine(
    predicate: (line: Record<string, unknown> | string) => boolean,
    timeout_ms?: number,
  ): Promise<Record<string, unknown> | string>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs an app's `main.ts` through tsx with exactly the given environment (nothing inherited). */
export function spawnApp(entry: string, environment: Record<string, string>): SpawnedApp {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: SpawnedApp['lines'] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (text) => {
      let line: Record<string, unknown> | string = text;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // Not a JSON log line; keep the text.
      }
      lines.push(line);
      for (const waiter of waiters) waiter();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    lines,
    exited,
    kill: (signal) => child.kill(signal),
    waitForLine(predicate, timeout_ms = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found === undefined) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching line within ${timeout_ms} ms; got ${JSON.stringify(lines.slice(-5))}; stderr ${stderr}`,
            ),
          );
        }, timeout_ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
