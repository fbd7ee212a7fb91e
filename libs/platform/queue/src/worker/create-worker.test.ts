import { Queue, UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testServices, uniqueQueuePrefix } from '@ledgerline/db/testing';
import { captureLogger, deleteQueueKeys, metricSample, waitUntil } from '../testing';
import { createProducerConnection, createWorkerConnection } from '../connection/connection';
import { jobs } from '../jobs/jobs';
import {
  createJobProducer,
  scheduleHoldExpiry,
  HOLD_EXPIRY_MARGIN_MS,
  type JobProducer,
} from '../jobs/producer';
import { createWorker, type JobProcessor } from './create-worker';
import { createJobMetrics, type JobMetrics } from './job-metrics';

const prefix = uniqueQueuePrefix();
const { redis_url } = testServices();
const { logger, lines } = captureLogger();
let producerConnection: Redis;
let workerConnection: Redis;
let producer: JobProducer;
const workers: Worker[] = [];

beforeAll(() => {
  producerConnection = createProducerConnection({ url: redis_url, connection_name: 'test-producer', logger });
  workerConnection = createWorkerConnection({ url: redis_url, connection_name: 'test-worker', logger });
  producer = createJobProducer({ connection: producerConnection, prefix, logger });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.close()));
});

afterAll(async () => {
  await producer.close();
  await producerConnection.quit();
  await workerConnection.quit();
  await deleteQueueKeys(redis_url, prefix);
});

/** A registry of its own per test, so every count a test reads is its own. */
function jobMetrics(): { registry: Registry; metrics: JobMetrics } {
  const registry = new Registry();
  return { registry, metrics: createJobMetrics(registry) };
}

/** How many attempts of `job_name` on `queue` ended with `outcome`, as `/metrics` shows it. */
function attemptCount(registry: Registry, queue: string, job_name: string, outcome: string): Promise<number> {
  return metricSample(registry, 'ledgerline_job_attempt_duration_seconds_count', {
    queue,
    job_name,
    outcome,
  });
}

describe('createWorker', () => {
  it('installs an error listener and logs every job line with the job request_id', async () => {
    const seen: string[] = [];
    const { registry, metrics } = jobMetrics();
    const worker = createWorker({
      queue: 'screening',
      connection: workerConnection,
      prefix,
      concurrency: 4,
      logger,
      metrics,
      process: async (job, log) => {
        log.info('screening');
        seen.push((job.data as { transfer_id: string }).transfer_id);
      },
    });
    workers.push(worker);
    expect(worker.listenerCount('error')).toBeGreaterThan(0);

    const spec = jobs.screenTransfer(uuidv7(), 'req-worker-1');
    await producer.add(spec);
    await waitUntil(async () => seen.length === 1, { what: 'the job to run' });
    await waitUntil(async () =>
      lines.some((line) => line['msg'] === 'job completed' && line['job_id'] === spec.job_id),
    );
    const jobLines = lines.filter((line) => line['job_id'] === spec.job_id);
    expect(jobLines.map((line) => line['msg'])).toEqual(['screening', 'job completed']);
    for (const line of jobLines)
      expect(line).toMatchObject({ request_id: 'req-worker-1', queue: 'screening', attempt: 1 });
    // The job's attempt and its wait in the queue are on the metrics the operations port serves.
    expect(await attemptCount(registry, 'screening', 'screen', 'completed')).toBe(1);
    expect(await attemptCount(registry, 'screening', 'screen', 'failed')).toBe(0);
    expect(
      await metricSample(registry, 'ledgerline_job_wait_seconds_count', {
        queue: 'screening',
        job_name: 'screen',
      }),
    ).toBe(1);
  });

  it('fails a job that throws UnrecoverableError at once, and keeps it for operators', async () => {
    let calls = 0;
    const { registry, metrics } = jobMetrics();
    workers.push(
      createWorker({
        queue: 'ledger',
        connection: workerConnection,
        prefix,
        concurrency: 1,
        logger,
        metrics,
        process: async () => {
          calls += 1;
          throw new UnrecoverableError('transfer does not exist');
        },
      }),
    );
    const spec = jobs.advanceTransfer(uuidv7(), 'req-worker-2');
    await producer.add(spec);
    const queue = producer.queue('ledger');
    await waitUntil(async () => (await queue.getJobState(spec.job_id)) === 'failed', {
      what: 'the job to fail',
    });
    expect(calls).toBe(1);
    const failedLine = lines.find((line) => line['job_id'] === spec.job_id && line['final'] === true);
    expect(failedLine).toMatchObject({ level: 50, request_id: 'req-worker-2' });
    expect(await attemptCount(registry, 'ledger', 'advance', 'failed')).toBe(1);
    expect(await attemptCount(registry, 'ledger', 'advance', 'retried')).toBe(0);
  });

  it('retries a job that throws anything else, with backoff, up to its attempts', async () => {
    const queueName = 'hold-expiry';
    let calls = 0;
    const { registry, metrics } = jobMetrics();
    workers.push(
      createWorker({
        queue: queueName,
        connection: workerConnection,
        prefix,
        concurrency: 1,
        logger,
        metrics,
        process: async () => {
          calls += 1;
          if (calls < 3) throw new Error('database unavailable');
          return 'voided';
        },
      }),
    );
    // A short backoff keeps the test fast; production jobs take theirs from JOB_OPTIONS.
    const queue = new Queue(queueName, { connection: producerConnection, prefix });
    const spec = jobs.expireHold(uuidv7(), 'req-worker-3');
    await queue.add(spec.job_name, spec.payload, {
      jobId: spec.job_id,
      attempts: 5,
      backoff: { type: 'exponential', delay: 10 },
    });
    await waitUntil(async () => (await queue.getJobState(spec.job_id)) === 'completed', {
      what: 'the job to complete',
    });
    await queue.close();
    expect(calls).toBe(3);
    const attempts = lines.filter(
      (line) => line['job_id'] === spec.job_id && line['msg'] === 'job attempt failed; it will be retried',
    );
    expect(attempts.map((line) => line['attempt'])).toEqual([1, 2]);
    expect(await attemptCount(registry, queueName, 'expire-hold', 'retried')).toBe(2);
    expect(await attemptCount(registry, queueName, 'expire-hold', 'completed')).toBe(1);
    // The wait is the job's time in line before its first attempt; the retries waited out our backoff.
    expect(
      await metricSample(registry, 'ledgerline_job_wait_seconds_count', {
        queue: queueName,
        job_name: 'expire-hold',
      }),
    ).toBe(1);
  });

  it("hands a dead worker's job to another once its lock runs out", async () => {
    const takenBy: string[] = [];
    // Short lock and look intervals keep the test fast; the defaults are 15 s and 5 s.
    const { registry, metrics } = jobMetrics();
    const ledgerWorker = (process: JobProcessor) =>
      createWorker({
        queue: 'ledger',
        connection: workerConnection,
        prefix,
        concurrency: 1,
        logger,
        lock_duration_ms: 1_000,
        stalled_interval_ms: 300,
        metrics,
        process,
      });
    // Takes the job and never finishes it, like a process killed mid-batch.
    const dying = ledgerWorker(() => {
      takenBy.push('dying');
      return new Promise(() => undefined);
    });
    const spec = jobs.advanceTransfer(uuidv7(), 'req-worker-stalled');
    await producer.add(spec);
    await waitUntil(async () => takenBy.length === 1, { what: 'the first worker to take the job' });
    // No more lock renewals and no goodbye: the job stays active with a lock that simply runs out.
    await dying.close(true);

    workers.push(
      ledgerWorker(async () => {
        takenBy.push('survivor');
        return 'posted';
      }),
    );
    const queue = new Queue('ledger', { connection: producerConnection, prefix });
    await waitUntil(async () => (await queue.getJobState(spec.job_id)) === 'completed', {
      what: 'the survivor to complete the job',
      // The lock runs out after 1 s and two looks hand the job back; the survivor may then sit out
      // BullMQ's 5 s drain delay before it fetches again.
      timeout_ms: 15_000,
    });
    await queue.close();
    expect(takenBy).toEqual(['dying', 'survivor']);
    expect(await metricSample(registry, 'ledgerline_jobs_stalled_total', { queue: 'ledger' })).toBe(1);
  });

  it('rejects an unbounded concurrency', () => {
    expect(() =>
      createWorker({
        queue: 'ledger',
        connection: workerConnection,
        prefix,
        concurrency: 0,
        logger,
        process: async () => undefined,
      }),
    ).toThrow(RangeError);
  });
});

describe('JobProducer', () => {
  it('adds a job once per job id, however often it is added', async () => {
    const spec = jobs.advanceTransfer(uuidv7(), 'req-producer-1', 'capture');
    await producer.add(spec);
    await producer.add(spec);
    await producer.addBulk([spec, spec]);
    const queue = producer.queue('ledger');
    const job = await queue.getJob(spec.job_id);
    expect(job?.data).toEqual(spec.payload);
    expect(job?.opts.attempts).toBe(12);
    const events = await producerConnection.xrange(`${prefix}:ledger:events`, '-', '+');
    const duplicated = events.filter(
      ([, fields]) => fields.includes('duplicated') && fields.includes(spec.job_id),
    );
    expect(duplicated).toHaveLength(3);
  });

  it('schedules a hold expiry as a delayed job just after hold_expires_at', async () => {
    const transfer_id = uuidv7();
    const now = new Date();
    await scheduleHoldExpiry(
      producer,
      { transfer_id, request_id: 'req-hold', hold_expires_at: new Date(now.getTime() + 60_000) },
      now,
    );
    const job = await producer.queue('hold-expiry').getJob(`expire-hold-${transfer_id}`);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.opts.delay).toBe(60_000 + HOLD_EXPIRY_MARGIN_MS);
    expect(job?.data).toEqual({ transfer_id, request_id: 'req-hold' });
  });
});
