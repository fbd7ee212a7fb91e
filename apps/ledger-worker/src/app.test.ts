import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueQueuePrefix, type TestDatabase } from '@ledgerline/db/testing';
import { checkInvariants, createPostingEngine } from '@ledgerline/ledger';
import { jobs, type JobSpec } from '@ledgerline/queue';
import {
  captureLogger,
  deleteQueueKeys,
  metricSample,
  spawnApp,
  waitUntil,
  useQueueTestbed,
  expectOneLineConfigError,
} from '@ledgerline/queue/testing';
import { startLedgerWorker, type LedgerWorker } from './app';
import { createSweeperMetrics } from './sweeper-metrics';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
const testbed = useQueueTestbed();
const { redis_url, prefix } = testbed;
const { logger, lines } = captureLogger();
const registry = new Registry();
let database: TestDatabase;
let redis: Redis;
let ledger: Queue;
let holdExpiry: Queue;
let app: LedgerWorker;
let settlement: string;
let funded: string;
let payee: string;

beforeAll(async () => {
  ({ database, redis } = testbed);
  ledger = testbed.queue('ledger');
  holdExpiry = testbed.queue('hold-expiry');
  app = await startLedgerWorker({
    db: database.db,
    redis_url,
    prefix,
    concurrency: 64,
    batch_size_max: 64,
    linger_ms: 5,
    hold_expiry_concurrency: 4,
    // Long, so that the tests of delayed expiry jobs see the job, not the sweeper, void the hold.
    hold_sweep_interval_ms: 600_000,
    hold_sweep_batch_size_max: 100,
    stuck_sweep_interval_ms: 600_000,
    stuck_after_ms: 600_000,
    stuck_sweep_batch_size_max: 100,
    logger,
    sweeper_metrics: createSweeperMetrics(registry),
  });
  settlement = uuidv7();
  await database.pool.query(`INSERT INTO accounts (id, currency, kind) VALUES ($1, 'USD', 'settlement')`, [
    settlement,
  ]);
  funded = await account();
  payee = await account();
  const deposit = await transfer({
    kind: 'deposit',
    source: settlement,
    destination: funded,
    amount: '1000.00',
  });
  await add(jobs.advanceTransfer(deposit, 'req-deposit'));
  await waitForStatus(deposit, 'posted');
});

afterAll(async () => {
  await app.close();
});

async function account(): Promise<string> {
  const customer_id = uuidv7();
  await database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'test', 'US')`,
    [customer_id, randomBytes(16), randomBytes(16)],
  );
  const id = uuidv7();
  await database.pool.query(`INSERT INTO accounts (id, customer_id, currency) VALUES ($1, $2, 'USD')`, [
    id,
    customer_id,
  ]);
  return id;
}

interface TransferSeed {
  source?: string;
  destination?: string;
  amount?: string;
  kind?: string;
  hold_expires_at?: Date;
  batch_id?: string;
}

/** An approved transfer, as the compliance worker leaves it. */
async function transfer(seed: TransferSeed = {}): Promise<string> {
  const id = uuidv7();
  await database.pool.query(
    `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, hold,
       hold_expires_at, batch_id, client_id, request_id)
     VALUES ($1, $2::transfer_kind, $3, $4, $5::numeric, 'USD', 'approved', $6, $7, $8, 'test-client', 'req-seed')`,
    [
      id,
      seed.kind ?? 'transfer',
      seed.source ?? funded,
      seed.destination ?? payee,
      seed.amount ?? '1.00',
      seed.hold_expires_at !== undefined,
      seed.hold_expires_at ?? null,
      seed.batch_id ?? null,
    ],
  );
  return id;
}

async function add(spec: JobSpec): Promise<void> {
  await ledger.add(spec.job_name, spec.payload, {
    jobId: spec.job_id,
    attempts: 3,
    backoff: { type: 'fixed', delay: 10 },
  });
}

async function readTransfer(id: string): Promise<{ status: string; status_reason: string | null }> {
  const { rows } = await database.pool.query(
    'SELECT status::text, status_reason FROM transfers WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function waitForStatus(id: string, status: string, timeout_ms = 10_000): Promise<void> {
  await waitUntil(async () => (await readTransfer(id)).status === status, {
    timeout_ms,
    what: `transfer ${id} to be ${status}`,
  });
}

describe('ledger-worker', () => {
  it('posts an approved transfer: two journal entries, balances moved', async () => {
    const id = await transfer({ amount: '10.00' });
    await add(jobs.advanceTransfer(id, 'req-post-1'));
    await waitForStatus(id, 'posted');
    const { rows } = await database.pool.query(
      'SELECT direction::text, account_id::text, amount::text FROM journal_entries WHERE transfer_id = $1 ORDER BY journal_entries.direction',
      [id],
    );
    expect(rows).toEqual([
      { direction: 'debit', account_id: funded, amount: '10.0000' },
      { direction: 'credit', account_id: payee, amount: '10.0000' },
    ]);
    await waitUntil(async () => (await ledger.getJobState(`advance-${id}`)) === 'completed');
    const jobLines = lines.filter((line) => line['job_id'] === `advance-${id}`);
    expect(jobLines.map((line) => line['msg'])).toEqual(['transfer advanced', 'job completed']);
    for (const line of jobLines) expect(line['request_id']).toBe('req-post-1');
  });

  it('posts concurrent jobs together, in fewer transactions than jobs', async () => {
    const ids = await Promise.all(Array.from({ length: 60 }, () => transfer({ amount: '1.00' })));
    await ledger.addBulk(
      ids.map((id) => ({
        name: 'advance',
        data: { transfer_id: id, request_id: 'req-many' },
        opts: { jobId: `advance-${id}` },
      })),
    );
    for (const id of ids) await waitForStatus(id, 'posted');
    const batches = lines.filter(
      (line) => line['msg'] === 'ledger batch advanced' && Number(line['transfers']) > 1,
    );
    expect(batches.length).toBeGreaterThan(0);
  });

  it('advances every transfer of an advance-set job once, each logged with its own request id', async () => {
    const empty = await account();
    // The hold's own source, so that the hold reserves nothing of the account other tests read.
    const holder = await account();
    const deposit = await transfer({
      kind: 'deposit',
      source: settlement,
      destination: holder,
      amount: '5.00',
    });
    await add(jobs.advanceTransfer(deposit, 'req-deposit-holder'));
    await waitForStatus(deposit, 'posted');
    const posted = await transfer({ amount: '2.00' });
    const rejected = await transfer({ source: empty, amount: '2.00' });
    const hold = await transfer({
      source: holder,
      amount: '3.00',
      hold_expires_at: new Date(Date.now() + 3_600_000),
    });
    const spec = jobs.advanceSet([
      { transfer_id: posted, request_id: 'req-set-1' },
      { transfer_id: rejected, request_id: 'req-set-2' },
      { transfer_id: hold, request_id: 'req-set-3' },
    ]);
    await add(spec);
    await waitUntil(async () => (await ledger.getJobState(spec.job_id)) === 'completed', {
      what: 'the set job',
    });
    expect((await ledger.getJob(spec.job_id))?.returnvalue).toBe('pending,posted,rejected');
    expect((await readTransfer(posted)).status).toBe('posted');
    expect(await readTransfer(rejected)).toEqual({ status: 'rejected', status_reason: 'insufficient_funds' });
    expect((await readTransfer(hold)).status).toBe('pending');
    expect((await holdExpiry.getJob(`expire-hold-${hold}`))?.data).toEqual({
      transfer_id: hold,
      request_id: 'req-set-3',
    });
    const advanced = lines.filter(
      (line) => line['job_id'] === spec.job_id && line['msg'] === 'transfer advanced',
    );
    expect(advanced.map((line) => [line['transfer_id'], line['request_id']]).sort()).toEqual(
      [
        [posted, 'req-set-1'],
        [rejected, 'req-set-2'],
        [hold, 'req-set-3'],
      ].sort(),
    );
    const completed = lines.find((line) => line['job_id'] === spec.job_id && line['msg'] === 'job completed');
    expect(completed).toBeDefined();
    expect(completed).not.toHaveProperty('request_id');

    // Delivered again (a retry after a lost acknowledgement, say): nothing moves twice.
    await add({ ...spec, job_id: `${spec.job_id}-again` });
    await waitUntil(async () => (await ledger.getJobState(`${spec.job_id}-again`)) === 'completed');
    const { rows } = await database.pool.query(
      'SELECT count(*)::int AS count FROM journal_entries WHERE transfer_id = ANY($1::uuid[])',
      [[posted, rejected, hold]],
    );
    expect(rows[0].count).toBe(2);
  });

  it('advances the rest of a set that names a transfer that does not exist, then fails it without retries', async () => {
    const id = await transfer({ amount: '1.25' });
    const missing = uuidv7();
    const spec = jobs.advanceSet([
      { transfer_id: id, request_id: 'req-set-ok' },
      { transfer_id: missing, request_id: 'req-set-missing' },
    ]);
    await add(spec);
    await waitUntil(async () => (await ledger.getJobState(spec.job_id)) === 'failed', {
      what: 'the set job to fail',
    });
    const job = await ledger.getJob(spec.job_id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain(missing);
    expect((await readTransfer(id)).status).toBe('posted');
  });

  it('rejects a transfer the source cannot cover, with the reason', async () => {
    const empty = await account();
    const id = await transfer({ source: empty, amount: '5.00' });
    await add(jobs.advanceTransfer(id, 'req-poor'));
    await waitForStatus(id, 'rejected');
    expect((await readTransfer(id)).status_reason).toBe('insufficient_funds');
  });

  it('makes a hold pending, schedules its expiry job, and the job voids it when it expires', async () => {
    const hold_expires_at = new Date(Date.now() + 1_000);
    const id = await transfer({ amount: '7.00', hold_expires_at });
    await add(jobs.advanceTransfer(id, 'req-hold'));
    await waitForStatus(id, 'pending');
    const expiry = await waitUntil(() => holdExpiry.getJob(`expire-hold-${id}`), {
      what: 'the hold expiry job',
    });
    expect(expiry.data).toEqual({ transfer_id: id, request_id: 'req-hold' });
    expect(await expiry.getState()).toBe('delayed');

    await waitForStatus(id, 'voided', 15_000);
    expect((await readTransfer(id)).status_reason).toBe('hold_expired');
    expect(Date.now()).toBeGreaterThanOrEqual(hold_expires_at.getTime());
    const { rows } = await database.pool.query('SELECT pending_debits::text FROM accounts WHERE id = $1', [
      funded,
    ]);
    expect(rows[0].pending_debits).toBe('0.0000');
  });

  it('voids expired holds that no job voided, with the sweeper', async () => {
    const id = await transfer({ amount: '3.00', hold_expires_at: new Date(Date.now() + 200) });
    // Made pending outside the worker, so no expiry job exists (as if it were lost with Redis).
    const [result] = await createPostingEngine({ db: database.db, batch_size_max: 1 }).advance([id]);
    expect(result?.status).toBe('pending');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await holdExpiry.getJob(`expire-hold-${id}`)).toBeUndefined();
    const swept = await metricSample(registry, 'ledgerline_expired_holds_swept_total');
    const changed = await app.sweeper.sweepOnce();
    expect(changed).toBeGreaterThanOrEqual(1);
    expect(await metricSample(registry, 'ledgerline_expired_holds_swept_total')).toBe(swept + changed);
    expect(await readTransfer(id)).toEqual({ status: 'voided', status_reason: 'hold_expired' });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'expired hold advanced by the sweeper',
        transfer_id: id,
        request_id: 'req-seed',
      }),
    );
  });

  it('posts an atomic batch in one engine call', async () => {
    const batch_id = uuidv7();
    await database.pool.query(
      `INSERT INTO transfer_batches (id, atomic, client_id) VALUES ($1, true, 'test-client')`,
      [batch_id],
    );
    const ids = [await transfer({ batch_id, amount: '2.00' }), await transfer({ batch_id, amount: '4.00' })];
    await add(jobs.advanceBatch(batch_id, 'req-batch'));
    for (const id of ids) await waitForStatus(id, 'posted');
    await waitUntil(async () => (await ledger.getJobState(`advance-batch-${batch_id}`)) === 'completed');
    expect((await ledger.getJob(`advance-batch-${batch_id}`))?.returnvalue).toBe('posted');
  });

  it('is idempotent on redelivery: a second job for a posted transfer changes nothing', async () => {
    const id = await transfer({ amount: '1.50' });
    await add(jobs.advanceTransfer(id, 'req-again'));
    await waitForStatus(id, 'posted');
    await add({ ...jobs.advanceTransfer(id, 'req-again'), job_id: `advance-${id}-redelivered` });
    await waitUntil(async () => (await ledger.getJobState(`advance-${id}-redelivered`)) === 'completed');
    const { rows } = await database.pool.query(
      'SELECT count(*)::int AS count FROM journal_entries WHERE transfer_id = $1',
      [id],
    );
    expect(rows[0].count).toBe(2);
  });

  it('fails a job for a transfer that does not exist at once, without retries', async () => {
    const spec = jobs.advanceTransfer(uuidv7(), 'req-missing');
    await add(spec);
    await waitUntil(async () => (await ledger.getJobState(spec.job_id)) === 'failed', {
      what: 'the job to fail',
    });
    expect((await ledger.getJob(spec.job_id))?.attemptsMade).toBe(1);
  });

  it('leaves the ledger consistent: every invariant holds', async () => {
    const report = await checkInvariants(database.db);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('main: a bad configuration prints one line and exits 1', async () => {
    await expectOneLineConfigError(
      MAIN,
      { LEDGER_CONCURRENCY: 'many' },
      /^ledger-worker: Invalid configuration: LEDGER_CONCURRENCY /,
    );
  }, 60_000);

  it('main: posts transfers and stops cleanly on SIGTERM', async () => {
    const mainPrefix = uniqueQueuePrefix();
    const run = spawnApp(MAIN, {
      DATABASE_URL: database.url,
      REDIS_URL: redis_url,
      QUEUE_PREFIX: mainPrefix,
      LOG_LEVEL: 'info',
    });
    try {
      await run.waitForLine((line) => typeof line === 'object' && line['msg'] === 'ledger worker started');
      const id = await transfer({ amount: '1.25' });
      const queue = new Queue('ledger', { connection: redis, prefix: mainPrefix });
      const spec = jobs.advanceTransfer(id, 'req-main');
      await queue.add(spec.job_name, spec.payload, { jobId: spec.job_id });
      await queue.close();
      await waitForStatus(id, 'posted', 30_000);
      run.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
      expect(run.lines).toContainEqual(expect.objectContaining({ msg: 'stopped', service: 'ledger-worker' }));
    } finally {
      run.kill('SIGKILL');
      await deleteQueueKeys(redis_url, mainPrefix);
    }
  }, 60_000);
});
