/**
 * Test helpers for code that uses queues: a test file's database, Redis prefix and queues
 * ({@link useQueueTestbed}), removing a test's Redis keys, waiting for an asynchronous
 * outcome, and a logger whose lines a test can read. Use `uniqueQueuePrefix()` from
 * `@ledgerline/db/testing` as the BullMQ prefix, and {@link deleteQueueKeys} with it after the tests.
 * {@link spawnApp} runs a worker's `main.ts` as its own process, to test configuration errors and
 * shutdown on signals, and {@link expectOneLineConfigError} checks how it refuses a bad configuration.
 * {@link failJobs} puts jobs in the failed set, for tests of operator actions. {@link metricSample} reads
 * one sample of a prom-client registry, {@link samplesOf} every sample of a scraped `/metrics` text.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError } from 'bullmq';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';
import { createQueueConnections } from '../connection/connection';
import type { JobSpec } from '../jobs/jobs';
import { createJobProducer } from '../jobs/producer';
import { createWorker } from '../worker/create-worker';

export { deleteQueueKeys } from './queue-keys';
export { metricSample, samplesOf } from './metric-sample';
export { useQueueTestbed, type QueueTestbed } from './queue-testbed';

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
  /** Resolves when the process exits, with all it wrote to each stream. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
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
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
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
  const exited: SpawnedApp['exited'] = new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
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

/**
 * Runs an app's `main.ts` with `environment` and asserts what a bad configuration must do: exit 1 with
 * exactly one line on stderr (no stack trace), matching `line`, and nothing on stdout.
 */
export async function expectOneLineConfigError(
  entry: string,
  environment: Record<string, string>,
  line: RegExp,
): Promise<void> {
  const { code, stdout, stderr } = await spawnApp(entry, environment).exited;
  expect(code).toBe(1);
  expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
  expect(stdout).toBe('');
}

export interface FailJobsOptions {
  redis_url: string;
  prefix: string;
  /** Jobs of one queue, added and then failed. */
  specs: readonly JobSpec[];
  /** Give up after this long; 10 s when absent. */
  timeout_ms?: number;
}

/**
 * Adds jobs of one queue and runs them through a worker that fails each at once (`UnrecoverableError`),
 * so they end in the failed set as jobs that exhausted their attempts do; resolves once all of them
 * failed, with the worker closed. The worker fails whatever else waits in that queue too, so call it
 * before adding the jobs that should stay waiting.
 */
export async function failJobs(options: FailJobsOptions): Promise<void> {
  const queue = options.specs[0]?.queue;
  if (queue === undefined) return;
  if (options.specs.some((spec) => spec.queue !== queue))
    throw new TypeError('failJobs takes jobs of one queue');
  const logger = pino({ level: 'silent' });
  const connections = createQueueConnections({
    url: options.redis_url,
    connection_name: 'test-fail-jobs-worker',
    logger,
  });
  const producer = createJobProducer({ connection: connections.producer, prefix: options.prefix, logger });
  const failed = new Set<string>();
  const worker = createWorker({
    queue,
    connection: connections.worker,
    prefix: options.prefix,
    concurrency: 16,
    logger,
    process: async () => {
      throw new UnrecoverableError('failed on purpose by the test');
    },
  });
  worker.on('failed', (job) => {
    if (job?.id !== undefined) failed.add(job.id);
  });
  try {
    await producer.addBulk(options.specs);
    await waitUntil(async () => options.specs.every((spec) => failed.has(spec.job_id)), {
      timeout_ms: options.timeout_ms ?? 10_000,
      what: `${options.specs.length} ${queue} jobs to fail`,
    });
  } finally {
    await worker.close();
    await producer.close();
    await connections.quit();
  }
}
