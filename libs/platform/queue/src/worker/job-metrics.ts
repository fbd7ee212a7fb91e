import type { Job } from 'bullmq';
import { Counter, Histogram, type Registry } from 'prom-client';

/** How one attempt of a job ended: done, failed with attempts left (BullMQ retries it), or failed for good. */
export type JobAttemptOutcome = 'completed' | 'retried' | 'failed';

/**
 * What a worker process reports of its jobs (`createWorker`'s `metrics`). Counted per process: sum over
 * replicas, unlike ops-api's platform-wide backlog gauges.
 */
export interface JobMetrics {
  /** A job's processor started: the wait since the job was due, on its first attempt only. */
  attemptStarted(queue: string, job: Job): void;
  /** A job's processor returned or threw after `duration_s`. */
  attemptFinished(queue: string, job: Job, outcome: JobAttemptOutcome, duration_s: number): void;
  /** This process found a job whose worker stopped renewing its lock and handed it back (or failed it). */
  jobStalled(queue: string): void;
}

/** From a few milliseconds (a posting batch) to minutes (a large report). */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The job metrics of one worker process, registered on `registry` (the one its operations port serves):
 *
 * - `ledgerline_job_attempt_duration_seconds{queue, job_name, outcome}`: processor time of each attempt;
 *   its `_count` is the attempts by outcome, so failure rates need no counter of their own.
 * - `ledgerline_job_wait_seconds{queue, job_name}`: from the moment a job was due (added, or its delay
 *   over) to its first attempt: how far the workers are behind. Retries are left out: their wait is the
 *   backoff we chose.
 * - `ledgerline_jobs_stalled_total{queue}`: jobs this process took back from a worker that died or froze.
 *
 * Create one per registry: prom-client refuses a second metric of the same name.
 */
export function createJobMetrics(registry: Registry): JobMetrics {
  const duration = new Histogram({
    name: 'ledgerline_job_attempt_duration_seconds',
    help: 'Processor time of one attempt of a job, by how the attempt ended.',
    labelNames: ['queue', 'job_name', 'outcome'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'ledgerline_job_wait_seconds',
    help: 'Time from a job being due to its first attempt starting.',
    labelNames: ['queue', 'job_name'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  const stalled = new Counter({
    name: 'ledgerline_jobs_stalled_total',
    help: 'Jobs this process found without a live lock and handed back to their queue (or failed).',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  return {
    attemptStarted(queue, job) {
      if (job.attemptsMade > 0 || job.attemptsStarted > 1) return;
      // job.timestamp is the producer's clock: a skew between hosts shows as wait, and never below zero.
      const due_at = job.timestamp + (job.delay ?? 0);
      wait.observe({ queue, job_name: job.name }, Math.max(0, Date.now() - due_at) / 1_000);
    },
    attemptFinished(queue, job, outcome, duration_s) {
      duration.observe({ queue, job_name: job.name, outcome }, duration_s);
    },
    jobStalled(queue) {
      stalled.inc({ queue });
    },
  };
}
