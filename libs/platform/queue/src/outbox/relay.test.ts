import { createServer } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrismaClient } from '@ledgerline/db';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { captureLogger, deleteQueueKeys, metricSample, waitUntil } from '../testing';
import { createProducerConnection } from '../connection/connection';
import { jobs, type JobSpec, type QueueName } from '../jobs/jobs';
import { combineTransferJobs } from '../jobs/transfer-sets';
import { enqueueOutbox } from './enqueue';
import { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay';
import { createRelayMetrics } from './relay-metrics';

const { redis_url } = testServices();
const { logger, lines } = captureLogger();
let database: TestDatabase;
let connection: Redis;
let prefix: string;
const prefixes: string[] = [];
const relays: OutboxRelay[] = [];
const queues: Queue[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  connection = createProducerConnection({ url: redis_url, connection_name: 'relay-test', logger });
  await waitUntil(async () => connection.status === 'ready', { what: 'redis' });
});

beforeEach(async () => {
  // Each test gets its own queues, so job and event counts are its own.
  prefix = uniqueQueuePrefix();
  prefixes.push(prefix);
  await database.pool.query('DELETE FROM outbox_messages');
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
});

afterAll(async () => {
  await connection.quit();
  for (const used of prefixes) await deleteQueueKeys(redis_url, used);
  await database.drop();
});

function relay(overrides: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  const created = createOutboxRelay({
    db: database.db,
    connection,
    prefix,
    batch_size_max: 50,
    poll_interval_ms: 50,
    logger,
    ...overrides,
  });
  relays.push(created);
  return created;
}

function queue(name: QueueName): Queue {
  const created = new Queue(name, { connection, prefix });
  queues.push(created);
  return created;
}

async function accept(specs: JobSpec[]): Promise<void> {
  await database.db.$transaction((tx) => enqueueOutbox(tx, specs));
}

async function unpublishedCount(): Promise<number> {
  const { rows } = await database.pool.query(
    'SELECT count(*)::int AS count FROM outbox_messages WHERE published_at IS NULL',
  );
  return rows[0].count;
}

/** BullMQ records every add whose job id was already in the queue as a `duplicated` event. */
async function duplicatedEvents(name: QueueName): Promise<number> {
  const events = await connection.xrange(`${prefix}:${name}:events`, '-', '+');
  return events.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'duplicated').length;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the outbox relay', () => {
  it('publishes due rows with their deterministic ids and payloads, then marks them published', async () => {
    const specs = [jobs.screenTransfer(uuidv7(), 'req-a'), jobs.advanceTransfer(uuidv7(), 'req-b', 'void')];
    await accept(specs);
    const result = await relay().runOnce();
    expect(result).toEqual({ published: 2, redis_ready: true, next_available_at: null });
    expect(await unpublishedCount()).toBe(0);

    const screen = await queue('screening').getJob(specs[0]!.job_id);
    expect(screen).toMatchObject({ name: 'screen', data: specs[0]!.payload });
    expect(screen?.opts).toMatchObject({ attempts: 12, backoff: { type: 'exponential' } });
    const advance = await queue('ledger').getJob(specs[1]!.job_id);
    expect(advance).toMatchObject({ name: 'advance', data: specs[1]!.payload });

    expect((await relay().runOnce()).published).toBe(0);
  });

  it('publishes every row exactly once per job id with three relays racing', async () => {
    const specs = Array.from({ length: 600 }, (_, index) =>
      index % 2 === 0
        ? jobs.screenTransfer(uuidv7(), `req-${index}`)
        : jobs.advanceTransfer(uuidv7(), `req-${index}`),
    );
    const racing = [
      relay({ batch_size_max: 25 }),
      relay({ batch_size_max: 25 }),
      relay({ batch_size_max: 25 }),
    ];
    // Rows arrive while the relays run, in many small transactions, as they do in production.
    const published = racing.map(() => 0);
    let accepting = true;
    const runners = racing.map(async (one, index) => {
      for (;;) {
        const result = await one.runOnce();
        published[index]! += result.published;
        if (!accepting && result.published === 0 && (await unpublishedCount()) === 0) return;
      }
    });
    for (let start = 0; start < specs.length; start += 20) await accept(specs.slice(start, start + 20));
    accepting = false;
    await Promise.all(runners);

    expect(published.reduce((sum, count) => sum + count, 0)).toBe(600);
    expect(published.filter((count) => count > 0).length).toBeGreaterThan(1);
    expect(await unpublishedCount()).toBe(0);
    expect(await queue('screening').getJobCountByTypes('waiting')).toBe(300);
    expect(await queue('ledger').getJobCountByTypes('waiting')).toBe(300);
    expect(await duplicatedEvents('screening')).toBe(0);
    expect(await duplicatedEvents('ledger')).toBe(0);
  });

  it('after a relay dies between publishing and marking, publishes again and BullMQ drops the duplicates', async () => {
    const specs = Array.from({ length: 10 }, (_, index) =>
      jobs.screenTransfer(uuidv7(), `req-crash-${index}`),
    );
    await accept(specs);
    // The relay publishes, then its transaction fails before commit, as if the process died right there.
    await database.pool.query(`
      CREATE FUNCTION crash_before_mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'relay killed before marking'; END; $$;
      CREATE TRIGGER crash_before_mark BEFORE UPDATE ON outbox_messages FOR EACH ROW EXECUTE FUNCTION crash_before_mark();`);
    try {
      await expect(relay().runOnce()).rejects.toThrow(/relay killed before marking/);
    } finally {
      await database.pool.query(
        'DROP TRIGGER crash_before_mark ON outbox_messages; DROP FUNCTION crash_before_mark();',
      );
    }
    expect(await unpublishedCount()).toBe(10);
    const screening = queue('screening');
    expect(await screening.getJobCountByTypes('waiting')).toBe(10);
    const first = await screening.getJob(specs[0]!.job_id);

    expect((await relay().runOnce()).published).toBe(10);
    expect(await unpublishedCount()).toBe(0);
    expect(await screening.getJobCountByTypes('waiting')).toBe(10);
    expect(await duplicatedEvents('screening')).toBe(10);
    const again = await screening.getJob(specs[0]!.job_id);
    expect(again?.timestamp).toBe(first?.timestamp);
  });

  it('with combineTransferJobs, publishes the screens of one run as one screen-set, once however often it runs', async () => {
    const transfer_ids = Array.from({ length: 12 }, () => uuidv7());
    const capture = jobs.advanceTransfer(uuidv7(), 'req-capture', 'capture');
    await accept([...transfer_ids.map((id) => jobs.screenTransfer(id, `req-${id}`)), capture]);
    // The relay dies between publishing and marking, then publishes the same rows again.
    await database.pool.query(`
      CREATE FUNCTION crash_before_mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'relay killed before marking'; END; $$;
      CREATE TRIGGER crash_before_mark BEFORE UPDATE ON outbox_messages FOR EACH ROW EXECUTE FUNCTION crash_before_mark();`);
    try {
      await expect(relay({ combine: combineTransferJobs }).runOnce()).rejects.toThrow(
        /relay killed before marking/,
      );
    } finally {
      await database.pool.query(
        'DROP TRIGGER crash_before_mark ON outbox_messages; DROP FUNCTION crash_before_mark();',
      );
    }
    expect(await relay({ combine: combineTransferJobs }).runOnce()).toMatchObject({ published: 13 });
    expect(await unpublishedCount()).toBe(0);

    const waiting = await queue('screening').getJobs(['waiting']);
    expect(waiting.map((job) => job.name)).toEqual(['screen-set']);
    expect(waiting[0]?.data).toEqual(
      jobs.screenSet(transfer_ids.map((id) => ({ transfer_id: id, request_id: `req-${id}` }))).payload,
    );
    // A capture's advance keeps its own job.
    expect((await queue('ledger').getJob(capture.job_id))?.data).toEqual(capture.payload);
  });

  it('tries a row whose job the queue refuses again a minute later, and publishes the rows behind it meanwhile', async () => {
    const registry = new Registry();
    const metrics = createRelayMetrics(registry);
    const before = jobs.screenTransfer(uuidv7(), 'req-before');
    await accept([before]);
    // A job BullMQ refuses for what it is: over the 4 KiB payload limit every plain job has.
    const { rows } = await database.pool.query<{ id: string }>(
      `INSERT INTO outbox_messages (queue, job_name, job_id, payload, request_id)
       VALUES ('hold-expiry', 'expire-hold', $1, $2::jsonb, 'req-refused') RETURNING id::text`,
      [
        `expire-hold-${uuidv7()}`,
        JSON.stringify({ transfer_id: uuidv7(), request_id: 'req-refused', note: 'x'.repeat(5_000) }),
      ],
    );
    const after = [jobs.screenTransfer(uuidv7(), 'req-after'), jobs.advanceTransfer(uuidv7(), 'req-after')];
    await accept(after);
    const errors = lines.length;

    expect(await relay({ metrics }).runOnce()).toMatchObject({ published: 3, redis_ready: true });
    for (const spec of [before, ...after]) expect(await queue(spec.queue).getJob(spec.job_id)).toBeDefined();
    const { rows: parked } = await database.pool.query<{ published: boolean; retry_in_s: number }>(
      `SELECT published_at IS NOT NULL AS published, extract(epoch FROM available_at - now())::float8 AS retry_in_s
         FROM outbox_messages WHERE id = $1`,
      [rows[0]!.id],
    );
    expect(parked[0]).toMatchObject({ published: false });
    expect(parked[0]!.retry_in_s).toBeGreaterThan(50);
    expect(await metricSample(registry, 'ledgerline_outbox_refused_total', { queue: 'hold-expiry' })).toBe(1);
    expect(lines.slice(errors).filter((line) => line['level'] === 50)).toEqual([
      expect.objectContaining({ job_id: expect.stringMatching(/^expire-hold-/), request_id: 'req-refused' }),
    ]);
    // Not due again yet: the next runs publish nothing and log nothing.
    expect((await relay({ metrics }).runOnce()).published).toBe(0);
    expect(lines.slice(errors).filter((line) => line['level'] === 50)).toHaveLength(1);
  });

  it('reports the rows it published by queue, how long they waited to be published, and its failed runs', async () => {
    const registry = new Registry();
    const metrics = createRelayMetrics(registry);
    await accept([
      jobs.screenTransfer(uuidv7(), 'req-m1'),
      jobs.screenTransfer(uuidv7(), 'req-m2'),
      jobs.advanceTransfer(uuidv7(), 'req-m3'),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await relay({ metrics }).runOnce()).published).toBe(3);
    expect(await metricSample(registry, 'ledgerline_outbox_published_total', { queue: 'screening' })).toBe(2);
    expect(await metricSample(registry, 'ledgerline_outbox_published_total', { queue: 'ledger' })).toBe(1);
    expect(
      await metricSample(registry, 'ledgerline_outbox_publish_delay_seconds_count', { queue: 'screening' }),
    ).toBe(2);
    // The rows were due 50 ms or more before the run: none lands in the 10 ms bucket.
    expect(
      await metricSample(registry, 'ledgerline_outbox_publish_delay_seconds_bucket', {
        queue: 'screening',
        le: '0.01',
      }),
    ).toBe(0);
    expect(
      await metricSample(registry, 'ledgerline_outbox_publish_delay_seconds_sum', { queue: 'screening' }),
    ).toBeGreaterThanOrEqual(0.1);
    expect(await metricSample(registry, 'ledgerline_outbox_relay_failed_runs_total')).toBe(0);

    // A relay whose database does not exist fails every run, and says so.
    const missing = new URL(database.url);
    missing.pathname = `/${database.name}_missing`;
    const unreachableDb = createPrismaClient({
      url: missing.toString(),
      pool_size_max: 1,
      statement_timeout_ms: 5_000,
    });
    try {
      await relay({ db: unreachableDb, metrics, poll_interval_ms: 10 }).start();
      await waitUntil(
        async () => (await metricSample(registry, 'ledgerline_outbox_relay_failed_runs_total')) >= 1,
        {
          what: 'a failed run to be counted',
        },
      );
    } finally {
      await Promise.all(relays.splice(0).map((running) => running.stop()));
      await unreachableDb.$disconnect();
    }
  });

  it('leaves rows unpublished while Redis is unreachable, and a working relay publishes them later', async () => {
    const unreachable = createProducerConnection({
      url: `redis://127.0.0.1:${await closedPort()}`,
      connection_name: 'relay-test-unreachable',
      logger,
    });
    try {
      const specs = Array.from({ length: 5 }, () => jobs.screenTransfer(uuidv7(), 'req-offline'));
      await accept(specs);
      const cutOff = relay({ connection: unreachable });
      expect(await cutOff.runOnce()).toEqual({ published: 0, redis_ready: false, next_available_at: null });
      await cutOff.start();
      await accept([jobs.screenTransfer(uuidv7(), 'req-offline')]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await unpublishedCount()).toBe(6);
      // Nothing was held locked while waiting for Redis.
      const { rows } = await database.pool.query(
        'SELECT count(*)::int AS count FROM (SELECT id FROM outbox_messages FOR UPDATE SKIP LOCKED) AS unlocked',
      );
      expect(rows[0].count).toBe(6);

      expect((await relay().runOnce()).published).toBe(6);
      expect(await unpublishedCount()).toBe(0);
      expect(await queue('screening').getJobCountByTypes('waiting')).toBe(6);
    } finally {
      unreachable.disconnect();
    }
  });

  it('publishes a delayed row only when it is due, and wakes up for it', async () => {
    const spec = jobs.expireHold(uuidv7(), 'req-delayed');
    const available_at = new Date(Date.now() + 700);
    await database.db.$transaction((tx) => enqueueOutbox(tx, { ...spec, available_at }));
    const early = await relay().runOnce();
    expect(early.published).toBe(0);
    expect(early.next_available_at?.getTime()).toBe(available_at.getTime());

    const delayed = relay({ poll_interval_ms: 30_000 });
    await delayed.start();
    await waitUntil(async () => (await unpublishedCount()) === 0, {
      timeout_ms: 5_000,
      what: 'the delayed row',
    });
    expect(Date.now()).toBeGreaterThanOrEqual(available_at.getTime());
    const job = await queue('hold-expiry').getJob(spec.job_id);
    // It was published when due, so it runs at once rather than waiting again in Redis.
    expect(await job?.getState()).toBe('waiting');
  });

  it('publishes rows within its poll interval of their commit', async () => {
    const polling = relay({ poll_interval_ms: 50 });
    await polling.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const spec = jobs.screenTransfer(uuidv7(), 'req-poll');
    const accepted_at = Date.now();
    await accept([spec]);
    await waitUntil(async () => (await unpublishedCount()) === 0, {
      timeout_ms: 5_000,
      interval_ms: 10,
      what: 'polling to publish',
    });
    expect(Date.now() - accepted_at).toBeLessThan(1_000);
    expect(await queue('screening').getJob(spec.job_id)).toBeDefined();
  });

  it('deletes published rows older than the retention, and nothing else', async () => {
    await accept(Array.from({ length: 30 }, () => jobs.screenTransfer(uuidv7(), 'req-old')));
    await relay().runOnce();
    await database.pool.query(
      `UPDATE outbox_messages SET published_at = now() - interval '8 days' WHERE id IN (SELECT id FROM outbox_messages ORDER BY id LIMIT 20)`,
    );
    await accept([jobs.screenTransfer(uuidv7(), 'req-new')]);
    expect(await relay({ retention_ms: 7 * 24 * 60 * 60 * 1_000 }).cleanupOnce()).toBe(20);
    const { rows } = await database.pool.query(
      'SELECT count(*)::int AS total, count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished FROM outbox_messages',
    );
    expect(rows[0]).toEqual({ total: 11, unpublished: 1 });
  });

  it('refuses an unbounded batch size', () => {
    expect(() => relay({ batch_size_max: 0 })).toThrow(RangeError);
    expect(() => relay({ batch_size_max: 5_000 })).toThrow(RangeError);
  });
});
