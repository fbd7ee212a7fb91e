import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportService, type ReportService } from '../report/report.service';
import type { ReportType } from '../report/report.types';
import type { SanctionsRescreen } from '../sanctions/sanctions-rescreen';
import { createReportLedger, createTestRescreener } from '../testing';
import { createReportRunner } from './report-runner';

let database: TestDatabase;
let service: ReportService;
const customers: string[] = [];

const PERIOD = { from: '2026-01-01T00:00:00.000Z', to: '2026-12-31T00:00:00.000Z' };

interface Row {
  status: string;
  progress: number;
  runs: number;
  started_at: Date | null;
  finished_at: Date | null;
  content: string | null;
  failure_reason: string | null;
  error_message: string | null;
}

async function rowOf(report_id: string): Promise<Row> {
  const { rows } = await database.pool.query<Row>(
    `SELECT status::text AS status, progress, runs, started_at, finished_at, content, failure_reason, error_message
       FROM compliance_reports WHERE id = $1`,
    [report_id],
  );
  return rows[0]!;
}

async function requested(type: ReportType): Promise<string> {
  const result = await service.request({
    type,
    ...PERIOD,
    requested_by: 'officer',
    request_id: 'req-runner',
  });
  if (!result.ok) throw new Error('refused');
  return result.value.id;
}

/** Every customer a potential match, so each is a row of the sanctions report. */
function everyoneListed(): SanctionsRescreen {
  return createTestRescreener({
    pool: database.pool,
    list_version: 1,
    statuses: Object.fromEntries(customers.map((id) => [id, 'potential_match' as const])),
    page_size: 5,
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  service = createReportService({ db: database.db });
  const ledger = createReportLedger(database);
  for (let index = 0; index < 20; index += 1) customers.push(await ledger.customer());
});

afterAll(async () => {
  await database.drop();
});

describe('running a report', () => {
  it('moves it queued -> running with rising progress -> completed in one statement', async () => {
    const id = await requested('sanctions_rescreen');
    const seen: Array<Pick<Row, 'status' | 'progress'>> = [];
    const rescreener = everyoneListed();
    // Looks at the row each time the rescreening reports progress, as a client polling would.
    const observed: SanctionsRescreen = {
      latestListVersion: () => rescreener.latestListVersion(),
      rescreenAll: (version, options) =>
        rescreener.rescreenAll(version, {
          on_progress: async (screened, total) => {
            await options?.on_progress?.(screened, total);
            const { status, progress } = await rowOf(id);
            seen.push({ status, progress });
          },
        }),
    };
    const runner = createReportRunner({ db: database.db, sanctions: observed, customers_page_size: 3 });
    const result = await runner.run(id);
    expect(result).toMatchObject({ outcome: 'completed', type: 'sanctions_rescreen', rows: 20 });
    expect(seen.map((row) => row.status)).toEqual(['running', 'running', 'running', 'running']);
    expect(seen.map((row) => row.progress)).toEqual([20, 40, 60, 80]);
    const row = await rowOf(id);
    expect(row).toMatchObject({
      status: 'completed',
      progress: 100,
      runs: 1,
      failure_reason: null,
      error_message: null,
    });
    expect(row.started_at).toBeInstanceOf(Date);
    expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at!.getTime());
    expect(row.content!.split('\n')).toHaveLength(22);
  });

  it('runs a report again from the start when a delivery died while it was running', async () => {
    const id = await requested('structuring');
    // What a crashed delivery leaves behind: running, part done.
    await database.pool.query(
      `UPDATE compliance_reports SET status = 'running', progress = 40, runs = 1, started_at = now() WHERE id = $1`,
      [id],
    );
    const runner = createReportRunner({ db: database.db, sanctions: null });
    expect(await runner.run(id)).toMatchObject({ outcome: 'completed' });
    expect(await rowOf(id)).toMatchObject({ status: 'completed', progress: 100, runs: 2 });
  });

  it('changes nothing when run again after it completed', async () => {
    const id = await requested('reconciliation');
    const runner = createReportRunner({ db: database.db, sanctions: null });
    await runner.run(id);
    const first = await rowOf(id);
    expect(await runner.run(id)).toEqual({ outcome: 'already_completed' });
    expect(await rowOf(id)).toEqual(first);
    expect(await runner.markFailed(id, 'internal', 'too late')).toBe(false);
    expect(await rowOf(id)).toEqual(first);
  });

  it('fails a report whose CSV would pass the cap, with a safe sentence for the client', async () => {
    const id = await requested('sanctions_rescreen');
    const runner = createReportRunner({
      db: database.db,
      sanctions: everyoneListed(),
      content_bytes_max: 1_024,
      customers_page_size: 5,
    });
    expect(await runner.run(id)).toMatchObject({ outcome: 'failed', reason: 'too_large' });
    const row = await rowOf(id);
    expect(row).toMatchObject({ status: 'failed', failure_reason: 'too_large', content: null });
    expect(row.error_message).toMatch(/would exceed 1024 bytes after 10 rows/);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect((await service.get(id))?.error).toBe(
      'The report is larger than this deployment stores; request a shorter period.',
    );
  });

  it('fails a sanctions rescreen at once when no rescreening is configured', async () => {
    const id = await requested('sanctions_rescreen');
    const runner = createReportRunner({ db: database.db, sanctions: null });
    expect(await runner.run(id)).toMatchObject({ outcome: 'failed', reason: 'sanctions_unavailable' });
    expect(await rowOf(id)).toMatchObject({ status: 'failed', failure_reason: 'sanctions_unavailable' });
  });

  it('after markFailed, runs again when the failed job is retried, and completes', async () => {
    const id = await requested('ctr');
    const runner = createReportRunner({ db: database.db, sanctions: null });
    expect(await runner.markFailed(id, 'internal', 'x'.repeat(3_000))).toBe(true);
    const failed = await rowOf(id);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'internal' });
    expect(failed.error_message).toHaveLength(2_000);
    expect(await runner.run(id)).toMatchObject({ outcome: 'completed' });
    expect(await rowOf(id)).toMatchObject({
      status: 'completed',
      failure_reason: null,
      error_message: null,
      runs: 1,
    });
  });

  it('answers not_found for a report that does not exist', async () => {
    const runner = createReportRunner({ db: database.db, sanctions: null });
    expect(await runner.run(uuidv7())).toEqual({ outcome: 'not_found' });
  });

  it('refuses options outside their bounds', () => {
    expect(() =>
      createReportRunner({ db: database.db, sanctions: null, content_bytes_max: 128 * 1024 * 1024 }),
    ).toThrow(RangeError);
    expect(() => createReportRunner({ db: database.db, sanctions: null, rows_page_size: 0 })).toThrow(
      RangeError,
    );
  });
});
