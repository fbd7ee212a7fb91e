import { authPlugin } from '@ledgerline/auth';
import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import type { Database } from '@ledgerline/db';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { buildServiceApp, ProblemError, UuidSchema, type ServiceApp } from '@ledgerline/http';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealAuditRecords } from '../sealer/seal';
import { verifyAuditChain } from '../verify/verify-chain';
import { auditPlugin } from './audit-plugin';

let database: TestDatabase;
let app: ServiceApp;
const tokens = createTestTokens(TEST_JWT_OPTIONS);

async function appWith(db: Database, requests_per_minute_max = 10_000): Promise<ServiceApp> {
  const service = await buildServiceApp({
    service_name: 'audit-test',
    log_level: 'silent',
    rate_limit: { max: requests_per_minute_max, time_window_ms: 60_000 },
  });
  await service.register(authPlugin, { jwt: TEST_JWT_OPTIONS });
  await service.register(auditPlugin, { db });
  service.post(
    '/v1/things',
    {
      schema: {
        body: Type.Object({ name: Type.String() }),
        response: { 201: Type.Object({ name: Type.String() }) },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return { name: request.body.name };
    },
  );
  service.delete(
    '/v1/things/:id',
    { schema: { params: Type.Object({ id: UuidSchema }), response: { 204: Type.Null() } } },
    async () => {
      throw new ProblemError('not_found', 'No such thing.');
    },
  );
  service.get('/v1/things', { schema: { response: { 200: Type.Object({}) } } }, async () => ({}));
  await service.ready();
  return service;
}

async function recordsOf(request_id: string) {
  const { rows } = await database.pool.query('SELECT * FROM audit_records WHERE request_id = $1', [
    request_id,
  ]);
  return rows as Array<Record<string, unknown>>;
}

beforeAll(async () => {
  database = await createTestDatabase();
  app = await appWith(database.db);
});

afterAll(async () => {
  await app.close();
  await database.drop();
});

describe('auditPlugin', () => {
  it('records a mutating request with actor, role, route template, path, request id and outcome', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things?debug=1',
      payload: { name: 'a' },
      headers: {
        authorization: tokens.bearer('service', { client_id: 'bank-7' }),
        'x-request-id': 'audit-created-1',
      },
    });
    expect(response.statusCode).toBe(201);
    // inject resolves once the response is sent; the record was written before that.
    expect(await recordsOf('audit-created-1')).toEqual([
      expect.objectContaining({
        actor: 'bank-7',
        role: 'service',
        action: 'POST /v1/things',
        resource: '/v1/things',
        request_id: 'audit-created-1',
        outcome: 201,
        // Chained by the sealer after commit, not by the request.
        chain_position: null,
        hash: null,
      }),
    ]);
    await sealAuditRecords(database.db);
    expect(await recordsOf('audit-created-1')).toEqual([
      expect.objectContaining({
        request_id: 'audit-created-1',
        chain_position: expect.any(String),
        prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
  });

  it('records refusals and failures too, with the template of the matched route', async () => {
    const id = '0190a000-0000-7000-8000-000000000001';
    await app.inject({
      method: 'DELETE',
      url: `/v1/things/${id}`,
      headers: { authorization: tokens.bearer('admin', { client_id: 'root' }), 'x-request-id': 'audit-404' },
    });
    expect(await recordsOf('audit-404')).toEqual([
      expect.objectContaining({
        actor: 'root',
        role: 'admin',
        action: 'DELETE /v1/things/:id',
        resource: `/v1/things/${id}`,
        outcome: 404,
      }),
    ]);
    await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: {},
      headers: { 'x-request-id': 'audit-400' },
    });
    expect(await recordsOf('audit-400')).toEqual([
      expect.objectContaining({ actor: 'anonymous', role: 'anonymous', outcome: 400 }),
    ]);
    await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: { name: 'x' },
      headers: { authorization: 'Bearer forged', 'x-request-id': 'audit-401' },
    });
    expect(await recordsOf('audit-401')).toEqual([
      expect.objectContaining({ actor: 'anonymous', outcome: 401 }),
    ]);
    await app.inject({
      method: 'PATCH',
      url: '/v1/nowhere',
      payload: {},
      headers: { 'x-request-id': 'audit-unmatched' },
    });
    expect(await recordsOf('audit-unmatched')).toEqual([
      expect.objectContaining({ action: 'PATCH (unmatched)', resource: '/v1/nowhere', outcome: 404 }),
    ]);
  });

  it('does not record requests the rate limiter turned away', async () => {
    const limited = await appWith(database.db, 1);
    const send = (request_id: string) =>
      limited.inject({
        method: 'POST',
        url: '/v1/things',
        payload: { name: 'x' },
        headers: { 'x-request-id': request_id },
      });
    expect((await send('audit-limited-1')).statusCode).toBe(201);
    expect((await send('audit-limited-2')).statusCode).toBe(429);
    expect(await recordsOf('audit-limited-1')).toHaveLength(1);
    expect(await recordsOf('audit-limited-2')).toEqual([]);
    await limited.close();
  });

  it('does not record reads', async () => {
    await app.inject({ method: 'GET', url: '/v1/things', headers: { 'x-request-id': 'audit-read' } });
    expect(await recordsOf('audit-read')).toEqual([]);
  });

  it('keeps one chain under concurrent requests', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        app.inject({
          method: 'POST',
          url: '/v1/things',
          payload: { name: `n${index}` },
          headers: { authorization: tokens.bearer('service') },
        }),
      ),
    );
    // Two sealers racing: the database lets one extend the chain at a time, the other seals nothing.
    await Promise.all([sealAuditRecords(database.db, 5), sealAuditRecords(database.db, 5)]);
    while ((await sealAuditRecords(database.db, 5)) > 0);
    const result = await verifyAuditChain(database.db, { batch_size: 7 });
    expect(result).toEqual({
      ok: true,
      records_checked: expect.any(Number),
      first_broken_id: null,
      records_unsealed: 0,
    });
    expect(result.records_checked).toBeGreaterThanOrEqual(45);
  });

  it('fails the request with a 500 when the record cannot be written', async () => {
    const broken = {
      $executeRaw: () => Promise.reject(new Error('database is down')),
    } as unknown as Database;
    const failing = await appWith(broken);
    const response = await failing.inject({ method: 'POST', url: '/v1/things', payload: { name: 'x' } });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'internal' });
    expect(response.body).not.toContain('database is down');
    await failing.close();
  });
});

describe('audit_records', () => {
  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await sealAuditRecords(database.db);
    await expect(database.pool.query(`UPDATE audit_records SET outcome = 200`)).rejects.toThrowError(
      /append-only/,
    );
    await expect(database.pool.query(`DELETE FROM audit_records`)).rejects.toThrowError(/append-only/);
    await expect(database.pool.query(`TRUNCATE audit_records`)).rejects.toThrowError(/append-only/);
  });
});
