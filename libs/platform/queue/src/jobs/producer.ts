import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { jobOptionsFor } from './job-options';
import { assertJobId, jobs, type JobSpec, type QueueName } from './jobs';

export interface JobProducerOptions {
  /** A producer connection (`createProducerConnection`); the caller owns it and quits it after `close()`. */
  connection: Redis;
  /** BullMQ key prefix: `QUEUE_PREFIX` in production, `uniqueQueuePrefix()` in tests. */
  prefix: string;
  logger: Logger;
}

export interface AddJobOptions {
  /** Run the job this many milliseconds from now instead of at once. */
  delay_ms?: number;
}

/** A job as stored in an outbox row: the queue and name are checked by the database, not the compiler. */
export interface RawJob {
  queue: string;
  job_name: string;
  job_id: string;
  payload: unknown;
}

/** Adds jobs with their deterministic ids. Adding a job whose id is already in the queue is a no-op. */
export interface JobProducer {
  add(spec: JobSpec, options?: AddJobOptions): Promise<void>;
  /** Adds many jobs, one Redis round trip per queue; every job keeps its own deterministic id. */
  addBulk(specs: readonly RawJob[]): Promise<void>;
  /** The BullMQ queue behind a name, for counts and operator actions. */
  queue(name: QueueName): Queue;
  close(): Promise<void>;
}

/** Builds a {@link JobProducer}; queues are created on first use and share the one connection. */
export function createJobProducer(options: JobProducerOptions): JobProducer {
  const queues = new Map<string, Queue>();

  function queueFor(name: string): Queue {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: options.connection,
        prefix: options.prefix,
        defaultJobOptions: jobOptionsFor(name),
      });
      queue.on('error', (error: Error) => options.logger.warn({ err: error, queue: name }, 'queue error'));
      queues.set(name, queue);
    }
    return queue;
  }

  return {
    async add(spec, addOptions = {}) {
      const delay_ms = Math.max(0, Math.round(addOptions.delay_ms ?? 0));
      await queueFor(spec.queue).add(spec.job_name, spec.payload, {
        ...jobOptionsFor(spec.queue, spec.job_name),
        jobId: assertJobId(spec.job_id),
        delay: delay_ms,
      });
    },
    async addBulk(specs) {
      const byQueue = new Map<string, RawJob[]>();
      for (const spec of specs) {
        const group = byQueue.get(spec.queue) ?? [];
        group.push(spec);
        byQueue.set(spec.queue, group);
      }
      await Promise.all(
        [...byQueue].map(([name, group]) =>
          queueFor(name).addBulk(
            group.map((job) => ({
              name: job.job_name,
              data: job.payload,
              opts: { ...jobOptionsFor(name, job.job_name), jobId: assertJobId(job.job_id) },
            })),
          ),
        ),
      );
    },
    queue: queueFor,
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    },
  };
}

/**
 * How late, after `hold_expires_at`, the delayed expiry job runs. The ledger compares the expiry with the
 * database clock; a small margin keeps a job that fires a few milliseconds early (clock skew between
 * hosts) from finding the hold not yet expired. The sweeper catches any that still do.
 */
export const HOLD_EXPIRY_MARGIN_MS = 1_000;

export interface HoldExpiry {
  transfer_id: string;
  request_id: string;
  hold_expires_at: Date;
}

/**
 * Schedules the delayed `hold-expiry` job of a pending hold (job id `expire-hold-<transfer id>`). Call it
 * after the transfer became `pending`; scheduling twice is harmless. Writers that want the job in their
 * own transaction instead can `enqueueOutbox(tx, { ...jobs.expireHold(id, request_id), available_at })`.
 */
export async function scheduleHoldExpiry(
  producer: JobProducer,
  hold: HoldExpiry,
  now: Date = new Date(),
): Promise<void> {
  const delay_ms = Math.max(0, hold.hold_expires_at.getTime() - now.getTime()) + HOLD_EXPIRY_MARGIN_MS;
  await producer.add(jobs.expireHold(hold.transfer_id, hold.request_id), { delay_ms });
}
