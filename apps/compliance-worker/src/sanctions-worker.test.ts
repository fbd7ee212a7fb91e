import type { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerService, type CustomerService } from '@ledgerline/accounts';
import { createEnvelopeCipher, generateKey, parseKeyring } from '@ledgerline/crypto';
import type { TestDatabase } from '@ledgerline/db/testing';
import { jobs, type JobSpec } from '@ledgerline/queue';
import { captureLogger, waitUntil, useQueueTestbed } from '@ledgerline/queue/testing';
import { createSanctionsListService } from '@ledgerline/sanctions';
import { SDN_FIXTURE_CSV } from '@ledgerline/sanctions/testing';
import { startComplianceWorker, type ComplianceWorker } from './app';

const testbed = useQueueTestbed();
const { redis_url, prefix } = testbed;
const { logger, lines } = captureLogger();
const cipher = createEnvelopeCipher({
  keyring: parseKeyring(`test-key:${generateKey()}`),
  active_key_id: 'test-key',
});
let database: TestDatabase;
let sanctions: Queue;
let customers: CustomerService;
let app: ComplianceWorker;

beforeAll(async () => {
  ({ database } = testbed);
  sanctions = testbed.queue('sanctions');
  customers = createCustomerService({ db: database.db, cipher });
  app = await startComplianceWorker({
    db: database.db,
    redis_url,
    prefix,
    concurrency: 2,
    logger,
    sanctions: { cipher, concurrency: 2 },
  });
});

afterAll(async () => {
  await app.close();
});

async function add(spec: JobSpec | { job_name: string; job_id: string; payload: unknown }): Promise<void> {
  await sanctions.add(spec.job_name, spec.payload, {
    jobId: spec.job_id,
    attempts: 3,
    backoff: { type: 'fixed', delay: 10 },
  });
}

async function finished(job_id: string): Promise<'completed' | 'failed'> {
  return waitUntil(
    async () => {
      const state = await sanctions.getJobState(job_id);
      return state === 'completed' || state === 'failed' ? state : undefined;
    },
    { what: `job ${job_id} to finish`, timeout_ms: 20_000 },
  );
}

async function createCustomer(full_name: string, country: string): Promise<string> {
  const created = await customers.create({ full_name, country }, { request_id: 'req-worker' });
  if (!created.ok) throw new Error(created.error);
  return created.value.id;
}

async function screeningOf(customer_id: string) {
  const { rows } = await database.pool.query(
    `SELECT sanctions_status::text AS status, sanctions_screened_version::integer AS version FROM customers WHERE id = $1`,
    [customer_id],
  );
  return rows[0];
}

// The tests build on each other: the first runs before any list is loaded.
describe('the sanctions queue', () => {
  it('screen-customer before any list: completes, recording nothing', async () => {
    const id = await createCustomer('Rustam Aliyevich Karimov', 'UZ');
    const spec = jobs.screenCustomer(id, 'req-early');
    await add(spec);
    expect(await finished(spec.job_id)).toBe('completed');
    expect(await screeningOf(id)).toEqual({ status: 'clear', version: null });
  });

  it('rescreen-customers screens every customer against the new list, reporting progress and counts', async () => {
    await createCustomer('Ada Lovelace', 'GB');
    await createCustomer('Htet Aung Min', 'TH');
    const loaded = await createSanctionsListService({ db: database.db }).load({
      csv: SDN_FIXTURE_CSV,
      loaded_by: 'officer',
      request_id: 'req-list',
    });
    if (!loaded.ok) throw new Error('list refused');
    const spec = jobs.rescreenCustomers(loaded.value.list_version, 'req-list');
    await add(spec);
    expect(await finished(spec.job_id)).toBe('completed');
    const job = await sanctions.getJob(spec.job_id);
    expect(job?.returnvalue).toEqual({ screened: 3, clear: 1, potential_match: 1, confirmed_match: 1 });
    expect(job?.progress).toEqual({ screened: 3, total: 3 });
    const { rows } = await database.pool.query(
      `SELECT count(*)::integer AS n FROM customers WHERE sanctions_screened_version = 1`,
    );
    expect(rows[0].n).toBe(3);
    const jobLines = lines.filter((line) => line['job_id'] === spec.job_id);
    expect(jobLines.map((line) => line['msg'])).toEqual(['customers rescreened', 'job completed']);
    expect(JSON.stringify(lines)).not.toContain('Karimov');
  });

  it('screen-customer screens a new customer against the current list and records it', async () => {
    const id = await createCustomer('Min Htet Aung', 'MM');
    const spec = jobs.screenCustomer(id, 'req-new');
    await add(spec);
    expect(await finished(spec.job_id)).toBe('completed');
    expect((await sanctions.getJob(spec.job_id))?.returnvalue).toBe('confirmed_match');
    expect(await screeningOf(id)).toEqual({ status: 'confirmed_match', version: 1 });
    expect(
      lines.find((line) => line['job_id'] === spec.job_id && line['msg'] === 'customer screened'),
    ).toMatchObject({
      customer_id: id,
      status: 'confirmed_match',
      list_version: 1,
      ent_num: 10008,
      request_id: 'req-new',
    });
  });

  it('a redelivered job changes nothing', async () => {
    const { rows } = await database.pool.query(
      `SELECT id::text AS id, sanctions_screened_at FROM customers ORDER BY id`,
    );
    await add({ ...jobs.rescreenCustomers(1, 'req-again'), job_id: 'rescreen-customers-v1-again' });
    expect(await finished('rescreen-customers-v1-again')).toBe('completed');
    expect((await sanctions.getJob('rescreen-customers-v1-again'))?.returnvalue).toEqual({
      screened: 0,
      clear: 0,
      potential_match: 0,
      confirmed_match: 0,
    });
    const after = await database.pool.query(
      `SELECT id::text AS id, sanctions_screened_at FROM customers ORDER BY id`,
    );
    expect(after.rows).toEqual(rows);
  });

  it('fails at once, without retries, what can never succeed', async () => {
    const cases = [
      jobs.screenCustomer(uuidv7(), 'req-missing-customer'),
      jobs.rescreenCustomers(99, 'req-missing-list'),
      {
        job_name: 'screen-customer',
        job_id: 'screen-customer-malformed',
        payload: { customer_id: 'not-a-uuid' },
      },
      {
        job_name: 'rescreen-customers',
        job_id: 'rescreen-customers-malformed',
        payload: { list_version: 'one' },
      },
      { job_name: 'unknown-job', job_id: 'sanctions-unknown-job', payload: {} },
    ];
    for (const spec of cases) await add(spec);
    for (const spec of cases) {
      expect(await finished(spec.job_id), spec.job_id).toBe('failed');
      expect((await sanctions.getJob(spec.job_id))?.attemptsMade, spec.job_id).toBe(1);
    }
  });
});
