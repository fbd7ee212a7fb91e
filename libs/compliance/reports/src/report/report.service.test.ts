import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportService, type ReportService } from './report.service';

let database: TestDatabase;
let service: ReportService;

beforeAll(async () => {
  database = await createTestDatabase();
  service = createReportService({ db: database.db });
});

afterAll(async () => {
  await database.drop();
});

const REQUEST = {
  type: 'ctr' as const,
  from: '2026-01-01T00:00:00.000Z',
  to: '2026-02-01T00:00:00.000Z',
  requested_by: 'officer-1',
  request_id: 'req-service-1',
};

async function counts(): Promise<{ reports: number; outbox: number }> {
  const { rows } = await database.pool.query(
    `SELECT (SELECT count(*) FROM compliance_reports)::int AS reports, (SELECT count(*) FROM outbox_messages)::int AS outbox`,
  );
  return rows[0];
}

describe('report requests', () => {
  it('write the queued report and its run-report outbox row together', async () => {
    const result = await service.request(REQUEST);
    if (!result.ok) throw new Error('refused');
    const report = result.value;
    expect(report).toMatchObject({
      type: 'ctr',
      status: 'queued',
      progress: 0,
      summary: null,
      from: new Date(REQUEST.from),
      to: new Date(REQUEST.to),
      requested_by: 'officer-1',
      started_at: null,
      finished_at: null,
      content_bytes: null,
      error: null,
    });
    const { rows } = await database.pool.query(
      `SELECT queue, job_name, job_id, payload, request_id FROM outbox_messages WHERE job_id = $1`,
      [`run-report-${report.id}`],
    );
    expect(rows).toEqual([
      {
        queue: 'reports',
        job_name: 'run-report',
        job_id: `run-report-${report.id}`,
        payload: { report_id: report.id, request_id: 'req-service-1' },
        request_id: 'req-service-1',
      },
    ]);
    expect(await service.get(report.id)).toEqual(report);
  });

  it('refuse an inverted, empty or too long period and write nothing', async () => {
    const before = await counts();
    const refused = async (from: string, to: string) => {
      const result = await service.request({ ...REQUEST, from, to });
      return result.ok ? null : { error: result.error, errors: result.errors };
    };
    expect(await refused('2026-02-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')).toEqual({
      error: 'validation_failed',
      errors: [{ path: '/to', message: 'must be later than from' }],
    });
    expect(await refused(REQUEST.from, REQUEST.from)).toMatchObject({ errors: [{ path: '/to' }] });
    expect(await refused('2026-01-01T00:00:00.000Z', '2027-01-02T00:00:00.001Z')).toEqual({
      error: 'validation_failed',
      errors: [{ path: '/to', message: 'must be at most 366 days after from' }],
    });
    expect(await refused('yesterday', REQUEST.to)).toMatchObject({ errors: [{ path: '/from' }] });
    expect(await counts()).toEqual(before);
  });

  it('accept a period of exactly 366 days (the database agrees)', async () => {
    const result = await service.request({
      ...REQUEST,
      from: '2028-01-01T00:00:00.000Z',
      to: '2029-01-01T00:00:00.000Z',
    });
    expect(result.ok).toBe(true);
  });
});

describe('reading reports', () => {
  it('answers null and not_found for an unknown id', async () => {
    expect(await service.get(uuidv7())).toBeNull();
    expect(await service.download(uuidv7())).toMatchObject({ ok: false, error: 'not_found' });
  });

  it('downloads only a completed report, under a file name with its type and period', async () => {
    const result = await service.request(REQUEST);
    if (!result.ok) throw new Error('refused');
    const { id } = result.value;
    expect(await service.download(id)).toEqual({
      ok: false,
      error: 'invalid_state',
      message: 'The report is queued; it can be downloaded once it is completed.',
    });
    await database.pool.query(
      `UPDATE compliance_reports SET status = 'completed', progress = 100, summary = '{}', content = 'a,b\n', content_bytes = 4, finished_at = now()
        WHERE id = $1`,
      [id],
    );
    expect(await service.download(id)).toEqual({
      ok: true,
      value: { filename: `ledgerline-ctr-2026-01-01-2026-02-01-${id}.csv`, content: 'a,b\n' },
    });
  });

  it("shows a failed report with a safe sentence, never the operators' message", async () => {
    const result = await service.request(REQUEST);
    if (!result.ok) throw new Error('refused');
    await database.pool.query(
      `UPDATE compliance_reports SET status = 'failed', failure_reason = 'internal', error_message = 'connection to 10.0.0.7 refused', finished_at = now()
        WHERE id = $1`,
      [result.value.id],
    );
    const report = await service.get(result.value.id);
    expect(report?.error).toBe(
      'The report could not be run. Request it again; if it fails again, ask an operator.',
    );
    expect(JSON.stringify(report)).not.toContain('10.0.0.7');
    expect(await service.download(result.value.id)).toMatchObject({ ok: false, error: 'invalid_state' });
  });
});

describe('the compliance_reports table', () => {
  it('refuses rows that break its rules', async () => {
    const insert = (columns: string, values: string) =>
      database.pool.query(
        `INSERT INTO compliance_reports (id, type, period_from, period_to, requested_by, request_id${columns})
         VALUES ('${uuidv7()}', 'ctr', '2026-01-01', '2026-02-01', 'x', 'r'${values})`,
      );
    await expect(
      database.pool.query(
        `INSERT INTO compliance_reports (id, type, period_from, period_to, requested_by, request_id)
         VALUES ($1, 'ctr', '2026-02-01', '2026-01-01', 'x', 'r')`,
        [uuidv7()],
      ),
    ).rejects.toThrow(/compliance_reports_period_order/);
    await expect(insert(', progress', ', 101')).rejects.toThrow(/compliance_reports_progress_range/);
    await expect(insert(', status', `, 'completed'`)).rejects.toThrow(/compliance_reports_completed_content/);
    await expect(insert(', status, finished_at', `, 'failed', now()`)).rejects.toThrow(
      /compliance_reports_failure/,
    );
  });
});
