import path from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@ledgerline/db/testing';
import { createOutboxRelay, jobs } from '@ledgerline/queue';
import {
  captureLogger,
  waitUntil,
  useQueueTestbed,
  expectOneLineConfigError,
} from '@ledgerline/queue/testing';
import {
  createReportService,
  type ReportService,
  type ReportType,
  type SanctionsRescreen,
} from '@ledgerline/reports';
import { createReportLedger, createTestRescreener } from '@ledgerline/reports/testing';
import { startComplianceWorker, type ComplianceWorker } from './app';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
const testbed = useQueueTestbed();
const { redis_url, prefix } = testbed;
const { logger, lines } = captureLogger();
let database: TestDatabase;
let redis: Redis;
let queue: Queue;
let app: ComplianceWorker;
let service: ReportService;
const customers: string[] = [];
/** What the worker's injected rescreening does now; each test sets it. */
let rescreening: SanctionsRescreen;

const PERIOD = { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };

interface ReportRow {
  status: string;
  progress: number;
  runs: number;
  finished_at: Date | null;
  content: string | null;
  failure_reason: string | null;
  error_message: string | null;
}

async function rowOf(report_id: string): Promise<ReportRow> {
  const { rows } = await database.pool.query<ReportRow>(
    `SELECT status::text AS status, progress, runs, finished_at, content, failure_reason, error_message
       FROM compliance_reports WHERE id = $1`,
    [report_id],
  );
  return rows[0]!;
}

async function requested(type: ReportType, request_id: string): Promise<string> {
  const result = await service.request({ type, ...PERIOD, requested_by: 'officer', request_id });
  if (!result.ok) throw new Error('refused');
  return result.value.id;
}

/** Adds a report's job as the relay would, with quick retries so the test need not wait for the real backoff. */
async function addJob(
  report_id: string,
  request_id: string,
  job_id = jobs.runReport(report_id, request_id).job_id,
): Promise<string> {
  const spec = jobs.runReport(report_id, request_id);
  await queue.add(spec.job_name, spec.payload, {
    jobId: job_id,
    attempts: 3,
    backoff: { type: 'fixed', delay: 10 },
  });
  return job_id;
}

function listEveryone(list_version: number): SanctionsRescreen {
  return createTestRescreener({
    pool: database.pool,
    list_version,
    statuses: Object.fromEntries(customers.map((id) => [id, 'potential_match' as const])),
    page_size: 2,
  });
}

beforeAll(async () => {
  ({ database, redis } = testbed);
  queue = testbed.queue('reports');
  service = createReportService({ db: database.db });
  const ledger = createReportLedger(database);
  for (let index = 0; index < 6; index += 1) customers.push(await ledger.customer());
  const account = await ledger.account(customers[0]!);
  await ledger.deposit(account, '12000.00', new Date('2026-03-01T10:00:00.000Z'));
  rescreening = listEveryone(1);
  app = await startComplianceWorker({
    db: database.db,
    redis_url,
    prefix,
    concurrency: 2,
    logger,
    reports: {
      concurrency: 2,
      sanctions: {
        latestListVersion: () => rescreening.latestListVersion(),
        rescreenAll: (list_version, options) => rescreening.rescreenAll(list_version, options),
      },
    },
  });
});

afterAll(async () => {
  await app.close();
});

describe('the reports worker', () => {
  it('runs a requested report from its outbox row: queued -> running with progress -> completed', async () => {
    const report_id = await requested('sanctions_rescreen', 'req-report-1');
    expect(await rowOf(report_id)).toMatchObject({ status: 'queued', progress: 0, runs: 0 });
    const seen: Array<[string, number]> = [];
    const listed = listEveryone(2);
    rescreening = {
      latestListVersion: () => listed.latestListVersion(),
      rescreenAll: (list_version, options) =>
        listed.rescreenAll(list_version, {
          on_progress: async (screened, total) => {
            await options?.on_progress?.(screened, total);
            const row = await rowOf(report_id);
            seen.push([row.status, row.progress]);
          },
        }),
    };
    // The relay publishes the row the request wrote, with the reports queue's job options.
    const relay = createOutboxRelay({
      db: database.db,
      connection: redis,
      prefix,
      batch_size_max: 10,
      poll_interval_ms: 1_000,
      logger,
    });
    expect(await relay.runOnce()).toMatchObject({ published: 1 });
    await relay.stop();

    const job_id = `run-report-${report_id}`;
    await waitUntil(async () => (await queue.getJobState(job_id)) === 'completed', {
      what: 'the report job',
      timeout_ms: 20_000,
    });
    expect(seen).toEqual([
      ['running', 26],
      ['running', 53],
      ['running', 80],
    ]);
    const row = await rowOf(report_id);
    expect(row).toMatchObject({ status: 'completed', progress: 100, runs: 1 });
    expect(row.content!.trim().split('\n')).toHaveLength(1 + customers.length);
    const job = await queue.getJob(job_id);
    expect(job?.opts.attempts).toBe(3);
    expect(job?.returnvalue).toBe('completed');
    const jobLines = lines.filter((line) => line['job_id'] === job_id);
    expect(jobLines.map((line) => line['msg'])).toEqual([
      'outbox row published',
      'report completed',
      'job completed',
    ]);
    for (const line of jobLines) expect(line['request_id']).toBe('req-report-1');
  });

  it('runs a redelivered job again from the start, and a duplicate after completion changes nothing', async () => {
    const report_id = await requested('ctr', 'req-report-2');
    // What a delivery that died mid-run leaves behind.
    await database.pool.query(
      `UPDATE compliance_reports SET status = 'running', progress = 40, runs = 1, started_at = now() WHERE id = $1`,
      [report_id],
    );
    const job_id = await addJob(report_id, 'req-report-2');
    await waitUntil(async () => (await queue.getJobState(job_id)) === 'completed', {
      what: 'the redelivered job',
    });
    const completed = await rowOf(report_id);
    expect(completed).toMatchObject({ status: 'completed', progress: 100, runs: 2 });
    expect(completed.content).toBe(
      `date,customer_id,currency,cash_in,cash_out,deposits,withdrawals\n2026-03-01,${customers[0]},USD,12000.0000,0.0000,1,0\n`,
    );

    const again = await addJob(report_id, 'req-report-2', `${job_id}-again`);
    await waitUntil(async () => (await queue.getJobState(again)) === 'completed', {
      what: 'the duplicate job',
    });
    expect((await queue.getJob(again))?.returnvalue).toBe('already_completed');
    expect(await rowOf(report_id)).toEqual(completed);
  });

  it('marks the report failed, with a safe sentence, when its last attempt fails', async () => {
    const report_id = await requested('sanctions_rescreen', 'req-report-3');
    rescreening = {
      latestListVersion: async () => 3,
      rescreenAll: async () => {
        throw new Error('sanctions store at 10.1.2.3 unreachable');
      },
    };
    const job_id = await addJob(report_id, 'req-report-3');
    await waitUntil(async () => (await queue.getJobState(job_id)) === 'failed', { what: 'the job to fail' });
    expect((await queue.getJob(job_id))?.attemptsMade).toBe(3);
    expect(await rowOf(report_id)).toMatchObject({
      status: 'failed',
      runs: 3,
      failure_reason: 'internal',
      error_message: 'sanctions store at 10.1.2.3 unreachable',
      content: null,
    });
    const report = await service.get(report_id);
    expect(report?.error).toBe(
      'The report could not be run. Request it again; if it fails again, ask an operator.',
    );
    expect(JSON.stringify(report)).not.toContain('10.1.2.3');
    const attempts = lines.filter((line) => line['job_id'] === job_id).map((line) => line['msg']);
    expect(attempts).toEqual([
      'job attempt failed; it will be retried',
      'job attempt failed; it will be retried',
      'job failed; it stays in the failed set for operators',
    ]);
  });

  it('fails a job whose report does not exist at once, without retries', async () => {
    const missing = '0190a000-0000-7000-8000-0000000000aa';
    const job_id = await addJob(missing, 'req-report-4');
    await waitUntil(async () => (await queue.getJobState(job_id)) === 'failed', { what: 'the job to fail' });
    expect((await queue.getJob(job_id))?.attemptsMade).toBe(1);
  });

  it('main: a bad reports setting prints one line and exits 1', async () => {
    await expectOneLineConfigError(
      MAIN,
      { REPORTS_CONCURRENCY: '3' },
      /^compliance-worker: Invalid configuration: REPORTS_CONCURRENCY /,
    );
  }, 60_000);
});
