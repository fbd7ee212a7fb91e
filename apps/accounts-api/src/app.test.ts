import { ensureBootstrapAdmin } from '@ledgerline/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountsApp, type TestAccountsApp } from './testing/test-app';

let t: TestAccountsApp;
beforeAll(async () => {
  t = await startTestAccountsApp();
});
afterAll(() => t.close());

describe('the accounts app', () => {
  it('documents every route of the contract with a response schema for each status', async () => {
    const response = await t.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const expected: Array<[string, string, string[]]> = [
      ['/v1/customers', 'post', ['201', '400', '401', '403']],
      ['/v1/customers/{id}', 'get', ['200', '400', '401', '404']],
      ['/v1/accounts', 'post', ['201', '400', '401', '403']],
      ['/v1/accounts', 'get', ['200', '400', '401']],
      ['/v1/accounts/{id}', 'get', ['200', '400', '401', '404']],
      ['/v1/accounts/{id}/freeze', 'post', ['200', '401', '403', '404', '409']],
      ['/v1/accounts/{id}/unfreeze', 'post', ['200', '401', '403', '404', '409']],
      ['/v1/accounts/{id}/close', 'post', ['200', '401', '403', '404', '409']],
      ['/v1/accounts/{id}/balance', 'get', ['200', '400', '401', '404']],
      ['/v1/accounts/{id}/entries', 'get', ['200', '400', '401', '404']],
      ['/v1/auth/token', 'post', ['200']],
      ['/v1/clients', 'post', ['201']],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      for (const status of statuses)
        expect(Object.keys(operation!.responses), `${method} ${path}`).toContain(status);
    }
  });

  it('reports liveness and readiness of Postgres and Redis', async () => {
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    // Ready once the Redis connection is up (it connects in the background after start).
    let ready = await t.app.inject({ url: '/readyz' });
    for (let attempt = 0; attempt < 100 && ready.statusCode !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await t.app.inject({ url: '/readyz' });
    }
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ checks: { database: 'ok', redis: 'ok' } });
  });

  it('echoes the request id', async () => {
    const response = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'req-accounts-1' } });
    expect(response.headers['x-request-id']).toBe('req-accounts-1');
  });

  it('issues tokens to API clients, which then work on the accounts routes', async () => {
    await ensureBootstrapAdmin({
      db: t.database.db,
      client_id: 'root-admin',
      client_secret: 'a-long-bootstrap-secret-for-tests-0123456789',
    });
    const adminToken = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { client_id: 'root-admin', client_secret: 'a-long-bootstrap-secret-for-tests-0123456789' },
    });
    expect(adminToken.statusCode).toBe(200);
    const admin = { authorization: `Bearer ${adminToken.json().access_token}` };

    const service = await t.app.inject({
      method: 'POST',
      url: '/v1/clients',
      headers: admin,
      payload: { name: 'Bank backend', role: 'service' },
    });
    expect(service.statusCode).toBe(201);
    const serviceToken = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { client_id: service.json().client_id, client_secret: service.json().client_secret },
    });
    const headers = { authorization: `Bearer ${serviceToken.json().access_token}` };
    const customer = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers,
      payload: { full_name: 'Token User', country: 'SE' },
    });
    expect(customer.statusCode).toBe(201);

    // A customer client is bound to its customer and sees only its own data.
    const customerClient = await t.app.inject({
      method: 'POST',
      url: '/v1/clients',
      headers: admin,
      payload: { name: 'App session', role: 'customer', customer_id: customer.json().id },
    });
    const customerToken = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: {
        client_id: customerClient.json().client_id,
        client_secret: customerClient.json().client_secret,
      },
    });
    const own = await t.app.inject({
      url: `/v1/customers/${customer.json().id}`,
      headers: { authorization: `Bearer ${customerToken.json().access_token}` },
    });
    expect(own.statusCode).toBe(200);
  });

  it('writes an audit record for every mutating request, refused or not', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...t.as('service'), 'x-request-id': 'audit-created' },
      payload: { full_name: 'Audited', country: 'DK' },
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...t.as('operator'), 'x-request-id': 'audit-refused' },
      payload: { full_name: 'Audited', country: 'DK' },
    });
    expect([created.statusCode, refused.statusCode]).toEqual([201, 403]);
    const { rows } = await t.database.pool.query(
      `SELECT request_id, role, action, outcome FROM audit_records WHERE request_id IN ('audit-created', 'audit-refused') ORDER BY id`,
    );
    expect(rows).toEqual([
      { request_id: 'audit-created', role: 'service', action: 'POST /v1/customers', outcome: 201 },
      { request_id: 'audit-refused', role: 'operator', action: 'POST /v1/customers', outcome: 403 },
    ]);
  });

  it('answers unknown routes with a problem', async () => {
    const response = await t.app.inject({ url: '/v1/nothing-here', headers: t.as('service') });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found' });
  });
});
