import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testServices, uniqueQueuePrefix } from '@ledgerline/db/testing';
import { deleteQueueKeys, failJobs, waitUntil } from '../testing';
import { createProducerConnection, createWorkerConnection } from '../connection/connection';
import { jobs, QUEUE_NAMES, type JobSpec } from '../jobs/jobs';
import { createJobProducer, type JobProducer } from '../jobs/producer';
import { createWorker } from '../worker/create-worker';
import {
  createQueueAdmin,
  RETRY_FAILED_PER_CALL_MAX,
  type QueueAdmin,
  type QueueSummary,
} from './queue-admin';

const prefix = uniqueQueuePrefix();
const { redis_url } = testServices();
const logger = pino({ level: 'silent' });
let producerConnection: Redis;
let workerConnection: Redis;
let producer: JobProducer;
let admin: QueueAdmin;
const workers: Worker[] = [];

beforeAll(() => {
  producerConnection = createProducerConnection({
    url: redis_url,
    connection_name: 'test-admin-producer',
    logger,
  });
  workerConnection = createWorkerConnection({ url: redis_url, connection_name: 'test-admin-worker', logger });
  producer = createJobProducer({ connection: producerConnection, prefix, logger });
  admin = createQueueAdmin({ connection: producerConnection, prefix, logger });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.close()));
});

afterAll(async () => {
  await admin.close();
  await producer.close();
  await producerConnection.quit();
  await workerConnection.quit();
  await deleteQueueKeys(redis_url, prefix);
});

const screenings = (count: number): JobSpec[] =>
  Array.from({ length: count }, () => jobs.screenTransfer(uuidv7(), 'req-admin'));
const customerScreenings = (count: number): JobSpec[] =>
  Array.from({ length: count }, () => jobs.screenCustomer(uuidv7(), 'req-admin'));

async function summaryOf(name: string): Promise<QueueSummary> {
  const summary = (await admin.summaries()).find((queue) => queue.name === name);
  if (summary === undefined) throw new Error(`no summary for ${name}`);
  return summary;
}

describe('summaries', () => {
  it('counts real jobs in every state, for every queue of the platform', async () => {
    // One worker slot: a job that never finishes holds it, so jobs added after it stay waiting.
    let release = () => {};
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const completed = screenings(2);
    const failing = screenings(3);
    const failingIds = new Set(failing.map((spec) => spec.job_id));
    const blocker = jobs.screenTransfer(uuidv7(), 'req-blocker');
    workers.push(
      createWorker({
        queue: 'screening',
        connection: workerConnection,
        prefix,
        concurrency: 1,
        logger,
        process: async (job) => {
          if (job.id === blocker.job_id) return blocked;
          if (failingIds.has(job.id ?? '')) throw new UnrecoverableError('failed on purpose');
          return undefined;
        },
      }),
    );
    for (const spec of [...completed, ...failing]) await producer.add(spec);
    await waitUntil(
      async () => {
        const summary = await summaryOf('screening');
        return summary.completed === 2 && summary.failed === 3;
      },
      { what: 'two completed and three failed screenings' },
    );
    await producer.add(blocker);
    await waitUntil(async () => (await summaryOf('screening')).active === 1, {
      what: 'the blocker to be active',
    });
    for (const spec of screenings(2)) await producer.add(spec);
    await producer.add(jobs.screenTransfer(uuidv7(), 'req-later'), { delay_ms: 60_000 });

    const summaries = await admin.summaries();
    expect(summaries.map((summary) => summary.name)).toEqual([...QUEUE_NAMES]);
    expect(summaries.find((summary) => summary.name === 'screening')).toEqual({
      name: 'screening',
      waiting: 2,
      active: 1,
      delayed: 1,
      failed: 3,
      completed: 2,
      paused: false,
      oldest_waiting_ms: expect.any(Number),
    });
    for (const summary of summaries.filter((queue) => queue.name !== 'screening')) {
      expect(summary).toEqual({
        name: summary.name,
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
        paused: false,
        oldest_waiting_ms: null,
      });
    }
    release();
  });

  it('gives the age of the job that has waited longest, which grows while it waits', async () => {
    const added_before = Date.now();
    await producer.add(jobs.advanceTransfer(uuidv7(), 'req-first'));
    await sleep(60);
    await producer.add(jobs.advanceTransfer(uuidv7(), 'req-second'));
    const first = await summaryOf('ledger');
    expect(first.waiting).toBe(2);
    // The first job's age, not the second's.
    expect(first.oldest_waiting_ms).toBeGreaterThanOrEqual(60);
    await sleep(120);
    const later = await summaryOf('ledger');
    expect(later.oldest_waiting_ms! - first.oldest_waiting_ms!).toBeGreaterThanOrEqual(100);
    expect(later.oldest_waiting_ms).toBeLessThanOrEqual(Date.now() - added_before);
  });
});

describe('pause and resume', () => {
  it('pauses a queue so that workers take none of its jobs, and resumes it', async () => {
    const paused = await admin.pause('reports');
    expect(paused).toEqual({ ok: true, value: expect.objectContaining({ name: 'reports', paused: true }) });
    expect((await summaryOf('reports')).paused).toBe(true);
    // Pausing twice is harmless.
    expect(await admin.pause('reports')).toMatchObject({ ok: true, value: { paused: true } });

    const ran: string[] = [];
    workers.push(
      createWorker({
        queue: 'reports',
        connection: workerConnection,
        prefix,
        concurrency: 1,
        logger,
        process: async (job) => void ran.push(job.id ?? ''),
      }),
    );
    const report = jobs.runReport(uuidv7(), 'req-paused');
    await producer.add(report);
    await sleep(300);
    expect(ran).toEqual([]);
    expect(await summaryOf('reports')).toMatchObject({
      waiting: 1,
      paused: true,
      oldest_waiting_ms: expect.any(Number),
    });

    expect(await admin.resume('reports')).toEqual({
      ok: true,
      value: expect.objectContaining({ name: 'reports', paused: false }),
    });
    await waitUntil(async () => ran.includes(report.job_id), { what: 'the report job to run after resume' });
    expect(await summaryOf('reports')).toMatchObject({ waiting: 0, completed: 1, paused: false });
  });
});

describe('retrying failed jobs', () => {
  it('moves every failed job of a queue back to waiting', async () => {
    const specs = customerScreenings(3);
    await failJobs({ redis_url, prefix, specs });
    expect(await summaryOf('sanctions')).toMatchObject({ failed: 3, waiting: 0 });

    expect(await admin.retryFailed('sanctions')).toEqual({
      ok: true,
      value: { name: 'sanctions', retried: 3, failed_remaining: 0 },
    });
    expect(await summaryOf('sanctions')).toMatchObject({ failed: 0, waiting: 3 });
    for (const spec of specs) expect(await admin.queue('sanctions').getJobState(spec.job_id)).toBe('waiting');
    // Nothing left to retry.
    expect(await admin.retryFailed('sanctions')).toEqual({
      ok: true,
      value: { name: 'sanctions', retried: 0, failed_remaining: 0 },
    });
  });

  it(`retries at most ${RETRY_FAILED_PER_CALL_MAX} jobs per call, oldest failure first`, async () => {
    const specs: JobSpec[] = Array.from({ length: RETRY_FAILED_PER_CALL_MAX + 5 }, () =>
      jobs.expireHold(uuidv7(), 'req-many'),
    );
    await failJobs({ redis_url, prefix, specs, timeout_ms: 25_000 });
    const queue = admin.queue('hold-expiry');
    const newest = (await queue.getJobs(['failed'], 0, 0, false))[0]!;
    expect(await admin.retryFailed('hold-expiry')).toEqual({
      ok: true,
      value: { name: 'hold-expiry', retried: RETRY_FAILED_PER_CALL_MAX, failed_remaining: 5 },
    });
    // The most recent failure waits for the next call.
    expect(await queue.getJobState(newest.id!)).toBe('failed');
    expect(await admin.retryFailed('hold-expiry')).toEqual({
      ok: true,
      value: { name: 'hold-expiry', retried: 5, failed_remaining: 0 },
    });
    expect(await summaryOf('hold-expiry')).toMatchObject({
      failed: 0,
      waiting: RETRY_FAILED_PER_CALL_MAX + 5,
    });
  }, 60_000);

  it('retries one failed job, and refuses a job that is not failed', async () => {
    const [failed] = customerScreenings(1);
    await failJobs({ redis_url, prefix, specs: [failed!] });
    expect(await admin.retryJob('sanctions', failed!.job_id)).toEqual({
      ok: true,
      value: { id: failed!.job_id, name: 'sanctions', state: 'waiting' },
    });
    // Now it waits: a second retry is refused and changes nothing.
    expect(await admin.retryJob('sanctions', failed!.job_id)).toEqual({
      ok: false,
      error: 'job_not_failed',
      message: expect.stringContaining('waiting'),
    });
    const delayed = jobs.screenCustomer(uuidv7(), 'req-delayed');
    await producer.add(delayed, { delay_ms: 60_000 });
    expect(await admin.retryJob('sanctions', delayed.job_id)).toMatchObject({
      ok: false,
      error: 'job_not_failed',
    });
    expect(await admin.queue('sanctions').getJobState(delayed.job_id)).toBe('delayed');
  });

  it('answers unknown queues and jobs as not found', async () => {
    for (const outcome of [
      await admin.pause('nope'),
      await admin.resume('nope'),
      await admin.retryFailed('nope'),
      await admin.retryJob('nope', 'screen-x'),
    ]) {
      expect(outcome).toEqual({
        ok: false,
        error: 'queue_not_found',
        message: expect.stringContaining('nope'),
      });
    }
    for (const job_id of ['screen-does-not-exist', '12345', 'a:b', 'x'.repeat(201)]) {
      expect(await admin.retryJob('screening', job_id)).toMatchObject({ ok: false, error: 'job_not_found' });
    }
  });
});
