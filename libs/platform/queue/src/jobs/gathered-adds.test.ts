import { once } from 'node:events';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices, uniqueQueuePrefix } from '@ledgerline/db/testing';
import { captureLogger, deleteQueueKeys } from '../testing';
import { createProducerConnection } from '../connection/connection';
import { gatherJobAdds } from './gathered-adds';
import { jobs, TRANSFER_SET_SIZE_MAX } from './jobs';
import { combineTransferJobs } from './transfer-sets';
import { createJobProducer, type JobProducer } from './producer';

const prefix = uniqueQueuePrefix();
const { redis_url } = testServices();
const { logger } = captureLogger();
let connection: Redis;
let producer: JobProducer;
let ledger: Queue;
/** The `addBulk` calls that reached Redis, by size: the round trips the gathering saved show here. */
const bulkSizes: number[] = [];

beforeAll(() => {
  connection = createProducerConnection({ url: redis_url, connection_name: 'test-gathered-adds', logger });
  const real = createJobProducer({ connection, prefix, logger });
  producer = {
    ...real,
    async addBulk(specs) {
      bulkSizes.push(specs.length);
      await real.addBulk(specs);
    },
  };
  ledger = new Queue('ledger', { connection, prefix });
});

afterAll(async () => {
  await ledger.close();
  await producer.close();
  await connection.quit();
  await deleteQueueKeys(redis_url, prefix);
});

describe('gatherJobAdds', () => {
  it('adds the jobs of concurrent callers in one addBulk, each with its own id and payload', async () => {
    const adds = gatherJobAdds(producer);
    const transferIds = Array.from({ length: 50 }, () => uuidv7());
    bulkSizes.length = 0;
    await Promise.all(transferIds.map((id) => adds.add(jobs.advanceTransfer(id, `request-${id}`))));
    expect(bulkSizes).toEqual([50]);
    for (const id of transferIds) {
      const job = await ledger.getJob(`advance-${id}`);
      expect(job?.data).toEqual({ transfer_id: id, request_id: `request-${id}` });
    }
    await adds.close();
  });

  it('adds a job added twice once, and leaves a job already queued as it was', async () => {
    const adds = gatherJobAdds(producer);
    const id = uuidv7();
    await producer.add(jobs.advanceTransfer(id, 'first'));
    const before = (await ledger.getJobCounts('waiting'))['waiting'] ?? 0;
    const other = uuidv7();
    await Promise.all([
      adds.add(jobs.advanceTransfer(id, 'second')),
      adds.add(jobs.advanceTransfer(other, 'first')),
      adds.add(jobs.advanceTransfer(other, 'first')),
    ]);
    expect((await ledger.getJob(`advance-${id}`))?.data).toEqual({ transfer_id: id, request_id: 'first' });
    expect((await ledger.getJobCounts('waiting'))['waiting']).toBe(before + 1);
    await adds.close();
  });

  it('fails every caller when Redis refuses, and adds again once it answers', async () => {
    const offline = createProducerConnection({
      url: redis_url,
      connection_name: 'test-gathered-offline',
      logger,
    });
    const offlineProducer = createJobProducer({ connection: offline, prefix, logger });
    if (offline.status !== 'ready') await once(offline, 'ready');
    offline.disconnect();
    const adds = gatherJobAdds(offlineProducer);
    const ids = [uuidv7(), uuidv7()];
    const results = await Promise.allSettled(ids.map((id) => adds.add(jobs.advanceTransfer(id, 'r'))));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await ledger.getJob(`advance-${ids[0]}`)).toBeUndefined();

    // The jobs' retries, through a connected producer: nothing was half added.
    const retries = gatherJobAdds(producer);
    await Promise.all(ids.map((id) => retries.add(jobs.advanceTransfer(id, 'r'))));
    for (const id of ids) expect(await ledger.getJob(`advance-${id}`)).toBeDefined();
    await Promise.all([adds.close(), retries.close()]);
    await offlineProducer.close().catch(() => undefined);
  });

  it('adds what waits when closed, then refuses', async () => {
    const adds = gatherJobAdds(producer, { linger_ms: 60_000 });
    const id = uuidv7();
    const waiting = adds.add(jobs.advanceTransfer(id, 'r'));
    await adds.close();
    await waiting;
    expect(await ledger.getJob(`advance-${id}`)).toBeDefined();
    await expect(adds.add(jobs.advanceTransfer(uuidv7(), 'r'))).rejects.toThrow(/closed/);
  });
});

describe('gatherJobAdds with combineTransferJobs', () => {
  it('lets concurrent callers resume once the one set job carrying their transfers is in Redis', async () => {
    const adds = gatherJobAdds(producer, { combine: combineTransferJobs });
    // A full set, far above the 4 KiB every other job is held to.
    const transferIds = Array.from({ length: TRANSFER_SET_SIZE_MAX }, () => uuidv7());
    bulkSizes.length = 0;
    await Promise.all(transferIds.map((id) => adds.add(jobs.advanceTransfer(id, `request-${id}`))));
    expect(bulkSizes).toEqual([1]);
    const set = jobs.advanceSet(transferIds.map((id) => ({ transfer_id: id, request_id: `request-${id}` })));
    expect(Buffer.byteLength(JSON.stringify(set.payload))).toBeGreaterThan(4_096);
    expect((await ledger.getJob(set.job_id))?.data).toEqual(set.payload);
    for (const id of transferIds) expect(await ledger.getJob(`advance-${id}`)).toBeUndefined();
    await adds.close();
  });
});
