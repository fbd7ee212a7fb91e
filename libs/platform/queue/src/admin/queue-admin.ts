import { ErrorCode, Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { requireReadyConnection } from '../connection/redis-errors';
import { jobOptionsFor } from '../jobs/job-options';
import { JOB_ID_LENGTH_MAX, QUEUE_NAMES, type QueueName } from '../jobs/jobs';
import type { QueueAdminOutcome } from './queue-admin.errors';

export interface QueueAdminOptions {
  /**
   * A producer connection (`createProducerConnection`): the admin issues only short commands, and an
   * operator's request should fail at once while Redis is unreachable rather than wait in memory. The
   * caller owns it and quits it after `close()`.
   */
  connection: Redis;
  /** BullMQ key prefix: `QUEUE_PREFIX` in production, `uniqueQueuePrefix()` in tests. */
  prefix: string;
  logger: { warn(object: Record<string, unknown>, message: string): void };
}

/** The state of one queue as operators see it (`GET /v1/ops/queues`). */
export interface QueueSummary {
  name: QueueName;
  /** Jobs ready to run (prioritized ones included). They stay here, and are counted, while the queue is paused. */
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: boolean;
  /**
   * How long the job at the head of the waiting line (the next to run) has been waiting, in
   * milliseconds, or `null` when nothing waits. Measured from when it became due: its add time plus
   * the delay it was added with. For a job that went back to waiting after a failed attempt this
   * overstates the wait (it counts from the first add plus the last backoff).
   */
  oldest_waiting_ms: number | null;
}

/** The outcome of retrying a queue's failed jobs. */
export interface RetryFailedResult {
  name: QueueName;
  /** Failed jobs moved back to waiting by this call; at most {@link RETRY_FAILED_PER_CALL_MAX}. */
  retried: number;
  /** Jobs still in the failed set afterwards: call again while this is above zero. */
  failed_remaining: number;
}

/** Every state BullMQ reports for a job. */
export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
  'unknown',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A job just retried, with the state read back after the retry (a worker may already have taken it). */
export interface RetriedJob {
  id: string;
  name: QueueName;
  state: JobState;
}

/**
 * Failed jobs one retry-failed call moves back to waiting, oldest failure first. Bounded so that one
 * request does bounded work however many jobs failed (failed jobs are kept two weeks, up to 100,000
 * per queue); an operator calls again while `failed_remaining` is above zero.
 */
export const RETRY_FAILED_PER_CALL_MAX = 1_000;

/** Retries issued at once within a retry-failed call; each is one small Redis script. */
const RETRY_CONCURRENCY = 50;

/** Operator actions on the platform's queues: their state, pausing and resuming them, retrying failed jobs. */
export interface QueueAdmin {
  /** The BullMQ queue behind a name (for the dashboard), created with the platform's prefix. */
  queue(name: QueueName): Queue;
  /** Every queue of {@link QUEUE_NAMES}, in that order. */
  summaries(): Promise<QueueSummary[]>;
  /** Pauses a queue globally: workers finish their active jobs and take no new ones. Pausing twice is harmless. */
  pause(name: string): Promise<QueueAdminOutcome<QueueSummary>>;
  /** Resumes a paused queue. Resuming a running queue is harmless. */
  resume(name: string): Promise<QueueAdminOutcome<QueueSummary>>;
  /**
   * Moves up to {@link RETRY_FAILED_PER_CALL_MAX} failed jobs back to waiting, oldest failure first.
   * Each gets one more attempt (its attempt count is kept); jobs are idempotent, so a retry is safe.
   */
  retryFailed(name: string): Promise<QueueAdminOutcome<RetryFailedResult>>;
  /** Moves one failed job back to waiting; a job in any other state is refused (`job_not_failed`). */
  retryJob(name: string, job_id: string): Promise<QueueAdminOutcome<RetriedJob>>;
  /**
   * Throws a transient error (`isTransientRedisError`) unless the connection is ready. Every operation
   * above checks it first; call it before using {@link queue} directly (the dashboard), since BullMQ
   * waits without a deadline for a connection that has never been ready.
   */
  requireReachable(): void;
  /** Closes the queues (not the connection, which the caller owns). */
  close(): Promise<void>;
}

/** Builds a {@link QueueAdmin} over every queue of {@link QUEUE_NAMES}, sharing the one connection. */
export function createQueueAdmin(options: QueueAdminOptions): QueueAdmin {
  const queues = new Map<QueueName, Queue>(
    QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, {
        connection: options.connection,
        prefix: options.prefix,
        // The dashboard shows them; this admin adds no jobs.
        defaultJobOptions: jobOptionsFor(name),
      });
      queue.on('error', (error: Error) => options.logger.warn({ err: error, queue: name }, 'queue error'));
      return [name, queue];
    }),
  );

  const queueOf = (name: string): Queue | undefined => queues.get(name as QueueName);
  const noQueue = (name: string) =>
    ({
      ok: false,
      error: 'queue_not_found',
      message: `There is no queue named ${JSON.stringify(name)}.`,
    }) as const;

  async function summaryOf(name: QueueName, queue: Queue): Promise<QueueSummary> {
    const [counts, paused, head] = await Promise.all([
      queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
      queue.isPaused(),
      // The waiting list in ascending order starts with the job that has waited longest (the next to run).
      queue.getJobs(['waiting'], 0, 0, true),
    ]);
    const oldest = head[0];
    return {
      name,
      waiting: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0),
      active: counts['active'] ?? 0,
      delayed: counts['delayed'] ?? 0,
      failed: counts['failed'] ?? 0,
      completed: counts['completed'] ?? 0,
      paused,
      oldest_waiting_ms:
        oldest === undefined ? null : Math.max(0, Date.now() - (oldest.timestamp + (oldest.delay ?? 0))),
    };
  }

  return {
    queue(name) {
      const queue = queues.get(name);
      if (queue === undefined) throw new RangeError(`unknown queue ${name}`);
      return queue;
    },

    requireReachable: () => requireReadyConnection(options.connection),

    // Each operation first checks the connection: it fails at once (503 at the API) while Redis is down.
    async summaries() {
      requireReadyConnection(options.connection);
      return Promise.all(QUEUE_NAMES.map((name) => summaryOf(name, queues.get(name)!)));
    },

    async pause(name) {
      requireReadyConnection(options.connection);
      const queue = queueOf(name);
      if (queue === undefined) return noQueue(name);
      await queue.pause();
      return { ok: true, value: await summaryOf(queue.name as QueueName, queue) };
    },

    async resume(name) {
      requireReadyConnection(options.connection);
      const queue = queueOf(name);
      if (queue === undefined) return noQueue(name);
      await queue.resume();
      return { ok: true, value: await summaryOf(queue.name as QueueName, queue) };
    },

    async retryFailed(name) {
      requireReadyConnection(options.connection);
      const queue = queueOf(name);
      if (queue === undefined) return noQueue(name);
      const failed = (await queue.getJobs(['failed'], 0, RETRY_FAILED_PER_CALL_MAX - 1, true)) as Job[];
      let retried = 0;
      for (let start = 0; start < failed.length; start += RETRY_CONCURRENCY) {
        const outcomes = await Promise.all(
          failed.slice(start, start + RETRY_CONCURRENCY).map(retryIfStillFailed),
        );
        retried += outcomes.filter((moved) => moved).length;
      }
      return {
        ok: true,
        value: { name: queue.name as QueueName, retried, failed_remaining: await queue.getFailedCount() },
      };
    },

    async retryJob(name, job_id) {
      requireReadyConnection(options.connection);
      const queue = queueOf(name);
      if (queue === undefined) return noQueue(name);
      const missing = {
        ok: false,
        error: 'job_not_found',
        message: `Queue ${name} has no job ${JSON.stringify(job_id)}.`,
      } as const;
      // BullMQ builds Redis keys from the id: one with `:` would name another key of the queue.
      if (job_id.length === 0 || job_id.length > JOB_ID_LENGTH_MAX || job_id.includes(':')) return missing;
      const job = (await queue.getJob(job_id)) as Job | undefined;
      if (job === undefined) return missing;
      const state = await job.getState();
      const notFailed = (current: string) =>
        ({
          ok: false,
          error: 'job_not_failed',
          message: `Job ${job_id} is ${current}; only failed jobs can be retried.`,
        }) as const;
      if (state !== 'failed') return notFailed(state);
      try {
        await job.retry('failed');
      } catch (error) {
        // Someone else retried it, or it was removed, between the read and the retry.
        const code = (error as { code?: unknown }).code;
        if (code === ErrorCode.JobNotExist) return missing;
        if (code === ErrorCode.JobNotInState) return notFailed(await job.getState());
        throw error;
      }
      return { ok: true, value: { id: job_id, name: queue.name as QueueName, state: await job.getState() } };
    },

    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

/** Retries a job listed as failed; false when it left the failed set meanwhile (retried by someone else, removed by age). */
async function retryIfStillFailed(job: Job): Promise<boolean> {
  try {
    await job.retry('failed');
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === ErrorCode.JobNotExist || code === ErrorCode.JobNotInState) return false;
    throw error;
  }
}
