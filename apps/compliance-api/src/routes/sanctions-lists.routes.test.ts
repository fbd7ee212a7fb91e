import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import { SANCTIONS_LIST_BODY_LIMIT_BYTES } from '@ledgerline/config';
import type { TestDatabase } from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { SDN_FIXTURE_CSV, SDN_FIXTURE_ROWS, sdnCsv, sdnCsvRow } from '@ledgerline/sanctions/testing';
import { startTestComplianceApp, type TestComplianceApp } from '../testing/test-app';

const URL = '/v1/compliance/sanctions-lists';
const tokens = createTestTokens(TEST_JWT_OPTIONS);
let database: TestDatabase;
let context: TestComplianceApp;
let app: ServiceApp;

beforeAll(async () => {
  context = await startTestComplianceApp();
  ({ database, app } = context);
});
afterAll(() => context.close());

function upload(
  payload: string,
  options: { role?: Role | null; content_type?: string | null } = {},
): Promise<LightMyRequestResponse> {
  const role = options.role === undefined ? 'compliance' : options.role;
  const content_type = options.content_type === undefined ? 'text/csv' : options.content_type;
  return app.inject({
    method: 'POST',
    url: URL,
    payload,
    headers: {
      ...(role === null ? {} : { authorization: tokens.bearer(role) }),
      ...(content_type === null ? {} : { 'content-type': content_type }),
    },
  });
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body.code).toBe(code);
  return body;
}

async function listCount(): Promise<number> {
  const { rows } = await database.pool.query(`SELECT count(*)::integer AS n FROM sanctions_lists`);
  return rows[0].n;
}

// The tests build on each other: list versions count up through the file.
describe(`POST ${URL}`, () => {
  it('answers 401 without a token and 403 for roles other than compliance and admin, loading nothing', async () => {
    expectProblem(await upload(SDN_FIXTURE_CSV, { role: null }), 401, 'unauthorized');
    for (const role of ['service', 'operator', 'customer'] as const)
      expectProblem(await upload(SDN_FIXTURE_CSV, { role }), 403, 'forbidden');
    expect(await listCount()).toBe(0);
  });

  it('loads a list as version 1 (201) and queues the rescreening of every customer', async () => {
    const response = await app.inject({
      method: 'POST',
      url: URL,
      payload: SDN_FIXTURE_CSV,
      headers: {
        authorization: tokens.bearer('compliance', { client_id: 'officer-7' }),
        'content-type': 'text/csv; charset=utf-8',
        'x-request-id': 'req-upload-1',
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toEqual({ list_version: 1, entries_loaded: SDN_FIXTURE_ROWS.length });
    const { rows: lists } = await database.pool.query(`SELECT loaded_by FROM sanctions_lists`);
    expect(lists).toEqual([{ loaded_by: 'officer-7' }]);
    const { rows: jobs } = await database.pool.query(`SELECT job_id, payload FROM outbox_messages`);
    expect(jobs).toEqual([
      { job_id: 'rescreen-customers-v1', payload: { list_version: 1, request_id: 'req-upload-1' } },
    ]);
  });

  it('answers 200 with the current version for the same content again', async () => {
    const response = await upload(SDN_FIXTURE_CSV, { role: 'admin' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ list_version: 1, entries_loaded: SDN_FIXTURE_ROWS.length });
    expect(await listCount()).toBe(1);
  });

  it('loads a changed list as the next version, for admins too', async () => {
    const response = await upload(sdnCsv(SDN_FIXTURE_ROWS.slice(0, 2)), { role: 'admin' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ list_version: 2, entries_loaded: 2 });
  });

  it('answers 400 naming the bad lines, loading nothing', async () => {
    const csv = [
      sdnCsvRow({ ent_num: 1, name: 'FINE' }),
      '2,"SHORT"',
      sdnCsvRow({ ent_num: 'x', name: 'BAD NUMBER' }),
    ].join('\r\n');
    const body = expectProblem(await upload(csv), 400, 'validation_failed');
    expect(body.errors).toEqual([
      { path: '/body/line/2', message: 'line 2: expected 12 columns, found 2' },
      { path: '/body/line/3', message: 'line 3: ent_num must be a positive integer' },
    ]);
    expect(expectProblem(await upload(''), 400, 'validation_failed').errors).toEqual([
      { path: '/body', message: 'the file has no entries' },
    ]);
    expect(await listCount()).toBe(2);
  });

  it('answers 415 for any body that is not text/csv', async () => {
    expectProblem(
      await upload(JSON.stringify({ csv: SDN_FIXTURE_CSV }), { content_type: 'application/json' }),
      415,
      'unsupported_media_type',
    );
    expectProblem(
      await upload(SDN_FIXTURE_CSV, { content_type: 'text/plain' }),
      415,
      'unsupported_media_type',
    );
    expectProblem(await upload(SDN_FIXTURE_CSV, { content_type: null }), 415, 'unsupported_media_type');
    expect(await listCount()).toBe(2);
  });

  it(`takes a list far above the 1 MiB other routes take, and answers 413 above ${SANCTIONS_LIST_BODY_LIMIT_BYTES} bytes`, async () => {
    // Long remarks make a list of a few MB from a few thousand entries, like the real file.
    const remarks = `a.k.a. 'ALIAS'; ${'Additional Sanctions Information - Subject to Secondary Sanctions; '.repeat(20)}`;
    const big = sdnCsv(
      Array.from({ length: 3_000 }, (_, index) => ({
        ent_num: index + 1,
        name: `BIG TRADING ${index + 1}`,
        remarks,
      })),
    );
    expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
    const loaded = await upload(big);
    expect(loaded.statusCode, loaded.body).toBe(201);
    expect(loaded.json()).toEqual({ list_version: 3, entries_loaded: 3_000 });

    expectProblem(await upload('x'.repeat(SANCTIONS_LIST_BODY_LIMIT_BYTES + 1)), 413, 'payload_too_large');
    expect(await listCount()).toBe(3);
  });

  it('is documented as taking text/csv', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operation = document.paths[URL].post;
    expect(Object.keys(operation.requestBody.content)).toEqual(['text/csv']);
    expect(Object.keys(operation.responses).sort()).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
  });
});
