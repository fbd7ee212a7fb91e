import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { QueueName } from '../jobs/jobs';
import type { JobMetrics } from './job-metrics';

/** A job's work. `log` is a child logger that puts the job's queue, id, name and request_id on every line. */
export type JobProcessor = (job: Job, log: Logger) => Promise<unknown>;

export interface CreateWorkerOptions {
  queue: QueueName;
  /** A worker connection (`createWorkerConnection`); the caller quits it after `worker.close()`. */
  connection: Redis;
  /** BullMQ key prefix, the same the producers use. */
  prefix: string;
  /** Jobs processed at once by this process. */
  concurrency: number;
  logger: Logger;
  process: JobProcessor;
  /**
   * How long a job may run without renewing its lock before another worker may take it over (BullMQ
   * renews it at half this while the job runs). Default {@link WORKER_LOCK_DURATION_MS}.
   */
  lock_duration_ms?: number;
  /** How often the worker looks for jobs whose worker died. Default {@link STALLED_INTERVAL_MS}. */
  stalled_interval_ms?: number;
  /** Default true; tests pass false to start the worker when they are ready. */
  autorun?: boolean;
  /** Where the worker reports its jobs' waits, durations and stalls (`createJobMetrics`); none when absent. */
  metrics?: JobMetrics;
}

const CONCURRENCY_MAX = 1_000;

/**
 * A job's lock lasts this long without renewal; a live worker renews it every half of it, so only a dead
 * (or frozen) worker's jobs lose theirs. Shorter than BullMQ's 30 s default because a crashed ledger or
 * compliance worker holds up every transfer it had taken until its locks expire.
 */
export const WORKER_LOCK_DURATION_MS = 15_000;

/**
 * How often workers look for jobs whose lock expired. BullMQ takes two looks to hand such a job back
 * (the first marks the active jobs, the next moves those still without a lock to the waiting list), and
 * skips a look that comes sooner than this after any worker's last one; so a dead worker's jobs run
 * again within about the lock duration plus two of these. At BullMQ's 30 s default that was a minute or
 * more of frozen transfers after a worker crash; a look is one small Redis script.
 */
export const STALLED_INTERVAL_MS = 5_000;

/**
 * Builds a BullMQ worker with the platform's habits: options stated explicitly, an `error` listener (an
 * unhandled `error` event would crash the process), and one log line per finished or failed job carrying
 * the job's request_id. The processor decides nothing about retries: throwing retries the job with
 * backoff up to its attempts, throwing `UnrecoverableError` fails it at once.
 */
export function createWorker(options: CreateWorkerOptions): Worker {
  if (
    !Number.isInteger(options.concurrency) ||
    options.concurrency < 1 ||
    options.concurrency > CONCURRENCY_MAX
  ) {
    throw new RangeError(`concurrency must be an integer in 1..${CONCURRENCY_MAX}`);
  }
  const { queue, metrics } = options;
  const logger = options.logger.child({ queue });
  // Failures the processor wrapper already logged; the `failed` listener logs only the others (stalls).
  const logged = new WeakSet<Error>();

  const worker = new Worker(
    queue,
    async (job: Job) => {
      const log = jobLogger(logger, job);
      metrics?.attemptStarted(queue, job);
      const started_at = performance.now();
      try {
        const result = await options.process(job, log);
        const duration_ms = performance.now() - started_at;
        metrics?.attemptFinished(queue, job, 'completed', duration_ms / 1_000);
        log.info({ duration_ms: Math.round(duration_ms) }, 'job completed');
        return result;
      } catch (error) {
        const duration_ms = performance.now() - started_at;
        const attempts = job.opts.attempts ?? 1;
        const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
        metrics?.attemptFinished(queue, job, final ? 'failed' : 'retried', duration_ms / 1_000);
        const fields = { err: error, duration_ms: Math.round(duration_ms), final };
        if (final) log.error(fields, 'job failed; it stays in the failed set for operators');
        else log.warn(fields, 'job attempt failed; it will be retried');
        if (error instanceof Error) logged.add(error);
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: options.autorun ?? true,
      lockDuration: options.lock_duration_ms ?? WORKER_LOCK_DURATION_MS,
      stalledInterval: options.stalled_interval_ms ?? STALLED_INTERVAL_MS,
      // A job whose worker died is retried once more; a job that stalls twice is likely killing workers.
      maxStalledCount: 1,
    },
  );
  worker.on('error', (error: Error) => logger.error({ err: error }, 'worker error'));
  if (metrics) worker.on('stalled', () => metrics.jobStalled(queue));
  worker.on('failed', (job: Job | undefined, error: Error) => {
    if (logged.has(error)) return;
    if (job) jobLogger(logger, job).error({ err: error }, 'job failed outside its processor');
    else logger.error({ err: error }, 'job failed outside its processor');
  });
  return worker;
}

/** The child logger of one job attempt. */
export function jobLogger(logger: Logger, job: Job): Logger {
  const data = job.data as { request_id?: unknown; transfers?: unknown } | null;
  // A job of several transfers (`advance-set`) has no request of its own: its lines name each transfer's.
  const request_id =
    typeof data?.request_id === 'string'
      ? data.request_id
      : Array.isArray(data?.transfers)
        ? undefined
        : 'unknown';
  return logger.child({
    job_id: job.id,
    job_name: job.name,
    ...(request_id === undefined ? {} : { request_id }),
    attempt: job.attemptsMade + 1,
  });
}
