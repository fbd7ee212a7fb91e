import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import type { TestDatabase } from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { createReportRunner } from '@ledgerline/reports';
import { createReportLedger, createTestRescreener } from '@ledgerline/reports/testing';
import type { LightMyRequestResponse } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestComplianceApp, type TestComplianceApp } from '../testing/test-app';

let database: TestDatabase;
let context: TestComplianceApp;
let app: ServiceApp;
let customer_id: string;
const tokens = createTestTokens(TEST_JWT_OPTIONS);

const BODY = { type: 'ctr', from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };
const OTHER_ROLES: Role[] = ['customer', 'service', 'operator'];

beforeAll(async () => {
  context = await startTestComplianceApp();
  ({ database, app } = context);
  const ledger = createReportLedger(database);
  customer_id = await ledger.customer();
  await ledger.deposit(await ledger.account(customer_id), '10000.00', new Date('2026-03-05T09:30:00.000Z'));
});

afterAll(() => context.close());

function as(role: Role | null, request_id?: string): Record<string, string> {
  return {
    ...(role === null ? {} : { authorization: tokens.bearer(role, { client_id: `officer-${role}` }) }),
    ...(request_id === undefined ? {} : { 'x-request-id': request_id }),
  };
}

function requestReport(
  body: unknown,
  role: Role | null = 'compliance',
  request_id?: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/compliance/reports',
    headers: as(role, request_id),
    payload: body as Record<string, unknown>,
  });
}

function read(url: string, role: Role | null = 'compliance'): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: as(role) });
}

async function written(): Promise<{ reports: number; outbox: number }> {
  const { rows } = await database.pool.query(
    `SELECT (SELECT count(*) FROM compliance_reports)::int AS reports, (SELECT count(*) FROM outbox_messages)::int AS outbox`,
  );
  return rows[0];
}

async function queued(role: Role = 'compliance'): Promise<string> {
  const response = await requestReport(BODY, role);
  expect(response.statusCode).toBe(202);
  return response.json().id;
}

describe('POST /v1/compliance/reports', () => {
  it('answers 202 with the queued report and its Location, having written the report and its job together', async () => {
    const response = await requestReport(BODY, 'compliance', 'req-report-route-1');
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'ctr',
      status: 'queued',
      progress: 0,
      summary: null,
      from: BODY.from,
      to: BODY.to,
      created_at: expect.any(String),
      started_at: null,
      finished_at: null,
      content_bytes: null,
      error: null,
    });
    expect(response.headers['location']).toBe(`/v1/compliance/reports/${body.id}`);
    const { rows: reports } = await database.pool.query(
      `SELECT type::text AS type, status::text AS status, requested_by, request_id FROM compliance_reports WHERE id = $1`,
      [body.id],
    );
    expect(reports).toEqual([
      { type: 'ctr', status: 'queued', requested_by: 'officer-compliance', request_id: 'req-report-route-1' },
    ]);
    const { rows: outbox } = await database.pool.query(
      `SELECT queue, job_name, payload FROM outbox_messages WHERE job_id = $1`,
      [`run-report-${body.id}`],
    );
    expect(outbox).toEqual([
      {
        queue: 'reports',
        job_name: 'run-report',
        payload: { report_id: body.id, request_id: 'req-report-route-1' },
      },
    ]);
    const { rows: audit } = await database.pool.query(
      `SELECT actor, action, outcome FROM audit_records WHERE request_id = $1`,
      ['req-report-route-1'],
    );
    expect(audit).toEqual([
      { actor: 'officer-compliance', action: 'POST /v1/compliance/reports', outcome: 202 },
    ]);
  });

  it('admits admins too', async () => {
    expect((await requestReport({ ...BODY, type: 'reconciliation' }, 'admin')).statusCode).toBe(202);
  });

  it('answers 400 validation_failed for a bad, inverted, empty or too long period or an unknown type, writing nothing', async () => {
    const before = await written();
    const cases: Array<[unknown, string]> = [
      [{ ...BODY, from: '2026-03-01' }, '/body/from'],
      [{ ...BODY, to: 'tomorrow' }, '/body/to'],
      [{ ...BODY, from: '2026-04-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' }, '/body/to'],
      [{ ...BODY, to: BODY.from }, '/body/to'],
      [{ ...BODY, from: '2026-01-01T00:00:00.000Z', to: '2027-01-02T00:00:00.001Z' }, '/body/to'],
      [{ ...BODY, type: 'sar' }, '/body/type'],
      [{ type: 'ctr', from: BODY.from }, '/body/to'],
      [{ ...BODY, requested_by: 'someone-else' }, '/body/requested_by'],
    ];
    for (const [body, path] of cases) {
      const response = await requestReport(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = response.json();
      expect(problem.code).toBe('validation_failed');
      expect(
        problem.errors.map((error: { path: string }) => error.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(await written()).toEqual(before);
  });

  it('accepts a period of exactly 366 days', async () => {
    const response = await requestReport({
      ...BODY,
      from: '2028-01-01T00:00:00.000Z',
      to: '2029-01-01T00:00:00.000Z',
    });
    expect(response.statusCode).toBe(202);
  });
});

describe('GET /v1/compliance/reports/:id and /download', () => {
  it('show a queued report; its download is 409 invalid_state until it completes', async () => {
    const id = await queued();
    const report = await read(`/v1/compliance/reports/${id}`);
    expect(report.statusCode).toBe(200);
    expect(report.json()).toMatchObject({
      id,
      type: 'ctr',
      status: 'queued',
      progress: 0,
      summary: null,
      from: BODY.from,
      to: BODY.to,
    });
    const download = await read(`/v1/compliance/reports/${id}/download`);
    expect(download.statusCode).toBe(409);
    expect(download.json()).toMatchObject({
      code: 'invalid_state',
      detail: 'The report is queued; it can be downloaded once it is completed.',
    });
  });

  it('show a completed report with its summary and download its CSV as an attachment', async () => {
    const id = await queued('admin');
    await createReportRunner({ db: database.db, sanctions: null }).run(id);
    const report = await read(`/v1/compliance/reports/${id}`);
    expect(report.json()).toEqual({
      id,
      type: 'ctr',
      status: 'completed',
      progress: 100,
      summary: {
        rows: 1,
        customers: 1,
        amount_min: '10000',
        totals: { USD: { cash_in: '10000.00', cash_out: '0.00' } },
      },
      from: BODY.from,
      to: BODY.to,
      created_at: expect.any(String),
      started_at: expect.any(String),
      finished_at: expect.any(String),
      content_bytes: expect.any(Number),
      error: null,
    });
    const download = await read(`/v1/compliance/reports/${id}/download`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="ledgerline-ctr-2026-03-01-2026-04-01-${id}.csv"`,
    );
    expect(download.headers['cache-control']).toBe('private, no-store');
    const csv =
      'date,customer_id,currency,cash_in,cash_out,deposits,withdrawals\n' +
      `2026-03-05,${customer_id},USD,10000.0000,0.0000,1,0\n`;
    expect(download.body).toBe(csv);
    expect(report.json().content_bytes).toBe(Buffer.byteLength(csv));
  });

  it('show every type of summary exactly as the runner stored it', async () => {
    const runner = createReportRunner({
      db: database.db,
      sanctions: createTestRescreener({
        pool: database.pool,
        list_version: 2,
        statuses: { [customer_id]: 'potential_match' },
      }),
    });
    for (const type of ['ctr', 'structuring', 'sanctions_rescreen', 'reconciliation']) {
      const response = await requestReport({ ...BODY, type });
      const { id } = response.json();
      const result = await runner.run(id);
      expect(result.outcome, type).toBe('completed');
      const { rows } = await database.pool.query(`SELECT summary FROM compliance_reports WHERE id = $1`, [
        id,
      ]);
      expect((await read(`/v1/compliance/reports/${id}`)).json().summary, type).toEqual(rows[0].summary);
    }
  });

  it('show a failed report with a safe sentence; its download is 409', async () => {
    const id = await queued();
    await createReportRunner({ db: database.db, sanctions: null }).markFailed(
      id,
      'internal',
      'deadlock detected on relation 16384',
    );
    const report = await read(`/v1/compliance/reports/${id}`);
    expect(report.json()).toMatchObject({
      status: 'failed',
      error: 'The report could not be run. Request it again; if it fails again, ask an operator.',
      finished_at: expect.any(String),
    });
    expect(report.body).not.toContain('deadlock');
    expect((await read(`/v1/compliance/reports/${id}/download`)).json()).toMatchObject({
      code: 'invalid_state',
    });
  });

  it('answer 404 for an unknown report and 400 for an id that is not a UUID', async () => {
    const unknown = uuidv7();
    for (const url of [`/v1/compliance/reports/${unknown}`, `/v1/compliance/reports/${unknown}/download`]) {
      const response = await read(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found' });
    }
    expect((await read('/v1/compliance/reports/not-a-uuid')).statusCode).toBe(400);
  });
});

describe('who may use reports', () => {
  it('refuses every other role with 403 and anonymous callers with 401, on every route', async () => {
    const id = await queued();
    const before = await written();
    const calls = (role: Role | null) => [
      () => requestReport(BODY, role),
      () => read(`/v1/compliance/reports/${id}`, role),
      () => read(`/v1/compliance/reports/${id}/download`, role),
    ];
    for (const role of OTHER_ROLES) {
      for (const call of calls(role)) {
        const response = await call();
        expect(response.statusCode, role).toBe(403);
        expect(response.json()).toMatchObject({ code: 'forbidden' });
      }
    }
    for (const call of calls(null)) {
      const response = await call();
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'unauthorized' });
    }
    const forged = await app.inject({
      method: 'GET',
      url: `/v1/compliance/reports/${id}`,
      headers: { authorization: `Bearer ${tokens.tampered('compliance')}` },
    });
    expect(forged.statusCode).toBe(401);
    expect(await written()).toEqual(before);
  });
});

describe('the OpenAPI document', () => {
  it('documents the routes, and the download as text/csv with its attachment header, not JSON', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json();
    const paths = document.paths as Record<
      string,
      Record<
        string,
        {
          responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
        }
      >
    >;
    expect(Object.keys(paths['/v1/compliance/reports']!['post']!.responses).sort()).toEqual([
      '202',
      '400',
      '401',
      '403',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    expect(Object.keys(paths['/v1/compliance/reports/{id}']!['get']!.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '429',
      '500',
      '503',
    ]);
    const download = paths['/v1/compliance/reports/{id}/download']!['get']!.responses;
    expect(Object.keys(download).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '500',
      '503',
    ]);
    expect(download['200']!.content).toEqual({ 'text/csv': { schema: { type: 'string' } } });
    expect(download['200']!.headers).toHaveProperty('content-disposition');
    expect(Object.keys(download['409']!.content!)).toEqual(['application/problem+json']);
  });
});
