import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueQueuePrefix, type TestDatabase } from '@ledgerline/db/testing';
import { jobs, type JobSpec } from '@ledgerline/queue';
import { DEFAULT_COMPLIANCE_THRESHOLDS } from '@ledgerline/screening';
import {
  captureLogger,
  deleteQueueKeys,
  spawnApp,
  waitUntil,
  useQueueTestbed,
  expectOneLineConfigError,
} from '@ledgerline/queue/testing';
import { startComplianceWorker, type ComplianceWorker } from './app';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
const testbed = useQueueTestbed();
const { redis_url, prefix } = testbed;
const { logger, lines } = captureLogger();
let database: TestDatabase;
let redis: Redis;
let screening: Queue;
let ledger: Queue;
let app: ComplianceWorker;
let accounts: { source: string; destination: string };

beforeAll(async () => {
  ({ database, redis } = testbed);
  screening = testbed.queue('screening');
  ledger = testbed.queue('ledger');
  const customer_id = uuidv7();
  await database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'test', 'US')`,
    [customer_id, randomBytes(16), randomBytes(16)],
  );
  accounts = { source: uuidv7(), destination: uuidv7() };
  await database.pool.query(
    `INSERT INTO accounts (id, customer_id, currency) VALUES ($1, $3, 'USD'), ($2, $3, 'USD')`,
    [accounts.source, accounts.destination, customer_id],
  );
  app = await startComplianceWorker({
    db: database.db,
    redis_url,
    prefix,
    concurrency: 8,
    logger,
    // Every transfer here leaves the same account: the velocity rule is not what these tests are about.
    thresholds: {
      ...DEFAULT_COMPLIANCE_THRESHOLDS,
      velocity: { transfers_max: 1_000_000, window_ms: 60 * 60 * 1_000 },
    },
  });
});

afterAll(async () => {
  await app.close();
});

async function insertTransfer(
  status = 'received',
  batch_id: string | null = null,
  amount = '5',
): Promise<string> {
  const id = uuidv7();
  await database.pool.query(
    `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, batch_id, client_id)
     VALUES ($1, 'transfer', $2, $3, $6::numeric, 'USD', $4::transfer_status, $5, 'test-client')`,
    [id, accounts.source, accounts.destination, status, batch_id, amount],
  );
  return id;
}

async function statusOf(transfer_id: string): Promise<string> {
  const { rows } = await database.pool.query('SELECT status::text FROM transfers WHERE id = $1', [
    transfer_id,
  ]);
  return rows[0].status;
}

async function add(spec: JobSpec): Promise<void> {
  await screening.add(spec.job_name, spec.payload, {
    jobId: spec.job_id,
    attempts: 3,
    backoff: { type: 'fixed', delay: 10 },
  });
}

describe('compliance-worker', () => {
  it('screens a transfer, then adds its ledger job with the deterministic id', async () => {
    const transfer_id = await insertTransfer();
    await add(jobs.screenTransfer(transfer_id, 'req-screen-1'));
    const advance = await waitUntil(() => ledger.getJob(`advance-${transfer_id}`), {
      what: 'the ledger job',
    });
    expect(advance).toMatchObject({ name: 'advance', data: { transfer_id, request_id: 'req-screen-1' } });
    expect(await statusOf(transfer_id)).toBe('approved');
    await waitUntil(async () => (await screening.getJobState(`screen-${transfer_id}`)) === 'completed');
    const jobLines = lines.filter((line) => line['job_id'] === `screen-${transfer_id}`);
    expect(jobLines.map((line) => line['msg'])).toEqual(['transfer screened', 'job completed']);
    for (const line of jobLines) expect(line['request_id']).toBe('req-screen-1');
  });

  it('holds a large transfer with its compliance case, and queues nothing for the ledger', async () => {
    const transfer_id = await insertTransfer('received', null, '25000.00');
    await add(jobs.screenTransfer(transfer_id, 'req-large'));
    await waitUntil(async () => (await screening.getJobState(`screen-${transfer_id}`)) === 'completed');
    expect(await statusOf(transfer_id)).toBe('held');
    const { rows } = await database.pool.query(
      'SELECT status::text, hits FROM compliance_cases WHERE transfer_id = $1',
      [transfer_id],
    );
    expect(rows).toEqual([
      { status: 'open', hits: [{ rule: 'large_amount', detail: 'amount 25000.00 USD is at least 10000' }] },
    ]);
    expect(await ledger.getJob(`advance-${transfer_id}`)).toBeUndefined();
    expect(
      lines.find((line) => line['job_id'] === `screen-${transfer_id}` && line['msg'] === 'transfer screened'),
    ).toMatchObject({
      outcome: 'held',
      rules: ['large_amount'],
    });
  });

  it('on redelivery after a crash between approving and queueing, adds the ledger job', async () => {
    // The first delivery approved the transfer and died before adding the ledger job.
    const transfer_id = await insertTransfer('approved');
    await add({
      ...jobs.screenTransfer(transfer_id, 'req-redelivered'),
      job_id: `screen-${transfer_id}-again`,
    });
    await waitUntil(() => ledger.getJob(`advance-${transfer_id}`), { what: 'the re-added ledger job' });
    expect(await statusOf(transfer_id)).toBe('approved');
  });

  it('re-adding a ledger job that is already queued is harmless', async () => {
    const transfer_id = await insertTransfer();
    await add(jobs.screenTransfer(transfer_id, 'req-twice'));
    const first = await waitUntil(() => ledger.getJob(`advance-${transfer_id}`));
    await add({ ...jobs.screenTransfer(transfer_id, 'req-twice'), job_id: `screen-${transfer_id}-again` });
    await waitUntil(async () => (await screening.getJobState(`screen-${transfer_id}-again`)) === 'completed');
    const again = await ledger.getJob(`advance-${transfer_id}`);
    expect(again?.timestamp).toBe(first.timestamp);
    expect(await ledger.getJobCountByTypes('waiting')).toBeGreaterThan(0);
  });

  it('screens an atomic batch together and adds one ledger job for it', async () => {
    const batch_id = uuidv7();
    await database.pool.query(
      `INSERT INTO transfer_batches (id, atomic, client_id) VALUES ($1, true, 'test-client')`,
      [batch_id],
    );
    const transfer_ids = [
      await insertTransfer('received', batch_id),
      await insertTransfer('received', batch_id),
    ];
    await add(jobs.screenBatch(batch_id, 'req-batch'));
    const advance = await waitUntil(() => ledger.getJob(`advance-batch-${batch_id}`), {
      what: 'the batch ledger job',
    });
    expect(advance).toMatchObject({ name: 'advance-batch', data: { batch_id, request_id: 'req-batch' } });
    for (const id of transfer_ids) expect(await statusOf(id)).toBe('approved');
  });

  it('screens transfers queued together and hands them to the ledger in set jobs; a missing one fails alone', async () => {
    const transfer_ids = await Promise.all(Array.from({ length: 20 }, () => insertTransfer()));
    const missing = uuidv7();
    const specs = [...transfer_ids, missing].map((id) => jobs.screenTransfer(id, `req-${id}`));
    await screening.addBulk(
      specs.map((spec) => ({
        name: spec.job_name,
        data: spec.payload,
        opts: { jobId: spec.job_id, attempts: 3, backoff: { type: 'fixed', delay: 10 } },
      })),
    );
    await waitUntil(async () => (await screening.getJobState(`screen-${missing}`)) === 'failed');
    for (const id of transfer_ids) {
      await waitUntil(async () => (await screening.getJobState(`screen-${id}`)) === 'completed', {
        what: `the screening of ${id}`,
      });
      expect(await statusOf(id)).toBe('approved');
    }
    // Every approved transfer is carried by exactly one ledger job, with its own request id; the jobs of
    // one screening batch travel as one `advance-set`.
    const carriers = new Map<string, Array<{ job_name: string; request_id: string }>>();
    for (const job of await ledger.getJobs(['waiting', 'delayed', 'prioritized'])) {
      const data = job.data as {
        transfer_id?: string;
        request_id?: string;
        transfers?: Array<{ transfer_id: string; request_id: string }>;
      };
      const carried = data.transfers ?? [
        { transfer_id: data.transfer_id ?? '', request_id: data.request_id ?? '' },
      ];
      for (const { transfer_id, request_id } of carried) {
        carriers.set(transfer_id, [...(carriers.get(transfer_id) ?? []), { job_name: job.name, request_id }]);
      }
    }
    for (const id of transfer_ids)
      expect(carriers.get(id)?.map((carrier) => carrier.request_id)).toEqual([`req-${id}`]);
    const names = transfer_ids.flatMap((id) => carriers.get(id)?.map((carrier) => carrier.job_name) ?? []);
    expect(names).toContain('advance-set');
    expect(carriers.has(missing)).toBe(false);
  });

  it('screens every transfer of a screen-set job, each logged with its request id; a missing one fails the set after the others', async () => {
    const transfer_ids = await Promise.all(Array.from({ length: 3 }, () => insertTransfer()));
    const missing = uuidv7();
    const spec = jobs.screenSet(
      [...transfer_ids, missing].map((id) => ({ transfer_id: id, request_id: `req-set-${id}` })),
    );
    await add(spec);
    await waitUntil(async () => (await screening.getJobState(spec.job_id)) === 'failed', {
      what: 'the set job to fail',
    });
    const job = await screening.getJob(spec.job_id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain(missing);
    for (const id of transfer_ids) expect(await statusOf(id)).toBe('approved');
    const carried = (await ledger.getJobs(['waiting'])).flatMap((ledgerJob) => {
      const data = ledgerJob.data as { transfer_id?: string; transfers?: Array<{ transfer_id: string }> };
      return data.transfers?.map((transfer) => transfer.transfer_id) ?? [data.transfer_id];
    });
    for (const id of transfer_ids) expect(carried.filter((carriedId) => carriedId === id)).toHaveLength(1);
    const screened = lines.filter(
      (line) => line['job_id'] === spec.job_id && line['msg'] === 'transfer screened',
    );
    expect(screened.map((line) => [line['transfer_id'], line['request_id']]).sort()).toEqual(
      [...transfer_ids, missing].map((id) => [id, `req-set-${id}`]).sort(),
    );
  });

  it('fails a job for a transfer that does not exist at once, without retries', async () => {
    const transfer_id = uuidv7();
    const spec = jobs.screenTransfer(transfer_id, 'req-missing');
    await add(spec);
    await waitUntil(async () => (await screening.getJobState(spec.job_id)) === 'failed', {
      what: 'the job to fail',
    });
    const job = await screening.getJob(spec.job_id);
    expect(job?.attemptsMade).toBe(1);
    expect(await ledger.getJob(`advance-${transfer_id}`)).toBeUndefined();
  });

  it('main: a bad configuration prints one line and exits 1', async () => {
    await expectOneLineConfigError(
      MAIN,
      { SCREENING_CONCURRENCY: '0' },
      /^compliance-worker: Invalid configuration: SCREENING_CONCURRENCY /,
    );
  }, 60_000);

  it('main: screens transfers with the configured thresholds and stops cleanly on SIGTERM', async () => {
    const mainPrefix = uniqueQueuePrefix();
    const run = spawnApp(MAIN, {
      DATABASE_URL: database.url,
      REDIS_URL: redis_url,
      QUEUE_PREFIX: mainPrefix,
      LOG_LEVEL: 'info',
      COMPLIANCE_VELOCITY_TRANSFERS_MAX: '1000000',
      // Holds every transfer of 5 or more: the one below must be held, not approved.
      COMPLIANCE_LARGE_AMOUNT_MIN: '5',
    });
    try {
      await run.waitForLine(
        (line) => typeof line === 'object' && line['msg'] === 'compliance worker started',
      );
      const transfer_id = await insertTransfer();
      const queue = new Queue('screening', { connection: redis, prefix: mainPrefix });
      const spec = jobs.screenTransfer(transfer_id, 'req-main');
      await queue.add(spec.job_name, spec.payload, { jobId: spec.job_id });
      await queue.close();
      await waitUntil(async () => (await statusOf(transfer_id)) === 'held', {
        timeout_ms: 30_000,
        what: 'the transfer to be held',
      });
      // Screening ran on its own client (the one with generic plans), and main closes both on SIGTERM.
      const screeningQueries = await backendQueries('ledgerline-compliance-worker-screening');
      expect(screeningQueries.some((query) => query.includes('transfers'))).toBe(true);
      run.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
      expect(run.lines).toContainEqual(
        expect.objectContaining({ msg: 'stopped', service: 'compliance-worker' }),
      );
      expect(await backendQueries('ledgerline-compliance-worker%')).toEqual([]);
    } finally {
      run.kill('SIGKILL');
      await deleteQueueKeys(redis_url, mainPrefix);
    }
  }, 60_000);
});

/** The last statement of each connection the test database has from the named application(s) (a LIKE pattern). */
async function backendQueries(application_name: string): Promise<string[]> {
  const { rows } = await database.pool.query<{ query: string }>(
    'SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1',
    [application_name],
  );
  return rows.map((row) => row.query);
}
