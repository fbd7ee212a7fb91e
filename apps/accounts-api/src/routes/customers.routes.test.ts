import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountsApp, type TestAccountsApp } from '../testing/test-app';

let t: TestAccountsApp;
beforeAll(async () => {
  t = await startTestAccountsApp();
});
afterAll(() => t.close());

const ADA = {
  full_name: 'Ada Lovelace',
  email: 'ada@example.com',
  country: 'GB',
  date_of_birth: '1985-12-10',
};

async function createCustomer(body: Record<string, unknown> = ADA) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: t.as('service'),
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>();
}

describe('POST /v1/customers', () => {
  it('creates a customer for service and admin callers', async () => {
    for (const role of ['service', 'admin'] as const) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/customers',
        headers: t.as(role),
        payload: ADA,
      });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
        ...ADA,
        sanctions_status: 'clear',
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
      expect(response.headers['location']).toBe(`/v1/customers/${body.id}`);
    }
  });

  it("queues the customer's sanctions screening with the request's id", async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...t.as('service'), 'x-request-id': 'req-customer-screening' },
      payload: ADA,
    });
    expect(response.statusCode).toBe(201);
    const { id } = response.json<{ id: string }>();
    const { rows } = await t.database.pool.query(
      `SELECT queue, job_name, payload FROM outbox_messages WHERE job_id = $1`,
      [`screen-customer-${id}`],
    );
    expect(rows).toEqual([
      {
        queue: 'sanctions',
        job_name: 'screen-customer',
        payload: { customer_id: id, request_id: 'req-customer-screening' },
      },
    ]);
  });

  it('accepts a customer without optional fields', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: t.as('service'),
      payload: { full_name: 'Grace Hopper', country: 'US' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ email: null, date_of_birth: null });
  });

  it('stores full_name, email and date of birth only as ciphertext', async () => {
    const customer = await createCustomer({
      full_name: 'Hedy Lamarr',
      email: 'hedy@example.at',
      country: 'AT',
      date_of_birth: '1974-11-09',
    });
    const { rows } = await t.database.pool.query('SELECT * FROM customers WHERE id = $1', [customer.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    for (const plaintext of ['Hedy', 'Lamarr', 'hedy@example.at', 'example.at', '1974-11-09']) {
      for (const [column, value] of Object.entries(row)) {
        const stored = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
        expect(stored.includes(Buffer.from(plaintext, 'utf8')), `${column} holds ${plaintext}`).toBe(false);
      }
    }
    expect(Buffer.isBuffer(row['full_name_ciphertext'])).toBe(true);
    expect(row['country']).toBe('AT');
  });

  it.each([
    ['a missing full_name', { country: 'GB' }, '/body/full_name'],
    ['an empty full_name', { ...ADA, full_name: '' }, '/body/full_name'],
    ['a blank full_name', { ...ADA, full_name: '   ' }, '/body/full_name'],
    ['a numeric full_name', { ...ADA, full_name: 42 }, '/body/full_name'],
    ['a lower-case country', { ...ADA, country: 'gb' }, '/body/country'],
    ['a three-letter country', { ...ADA, country: 'GBR' }, '/body/country'],
    ['an impossible date of birth', { ...ADA, date_of_birth: '1985-02-30' }, '/body/date_of_birth'],
    ['a future date of birth', { ...ADA, date_of_birth: '2999-01-01' }, '/body/date_of_birth'],
    ['a date of birth with a time', { ...ADA, date_of_birth: '1985-12-10T00:00:00Z' }, '/body/date_of_birth'],
    ['a malformed email', { ...ADA, email: 'ada-at-example' }, '/body/email'],
    ['a read-only sanctions_status', { ...ADA, sanctions_status: 'clear' }, '/body/sanctions_status'],
    ['a client-chosen id', { ...ADA, id: uuidv7() }, '/body/id'],
    ['an unknown field', { ...ADA, nickname: 'Ada' }, '/body/nickname'],
  ])('rejects %s with 400 validation_failed', async (_name, payload, path) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: t.as('service'),
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it('rejects a JSON array body and a non-JSON body', async () => {
    const array = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: t.as('service'),
      payload: [ADA],
    });
    expect(array.statusCode).toBe(400);
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...t.as('service'), 'content-type': 'text/plain' },
      payload: 'Ada',
    });
    expect(text.statusCode).toBe(415);
  });

  it.each(['customer', 'operator', 'compliance'] as const)('is forbidden to the %s role', async (role) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: t.as(role),
      payload: ADA,
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'forbidden' });
  });

  it('needs a valid bearer token', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/v1/customers', payload: ADA });
    expect(anonymous.statusCode).toBe(401);
    const expired = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { authorization: `Bearer ${t.tokens.expired('service')}` },
      payload: ADA,
    });
    expect(expired.statusCode).toBe(401);
    const forged = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { authorization: `Bearer ${t.tokens.tampered('customer')}` },
      payload: ADA,
    });
    expect(forged.statusCode).toBe(401);
  });
});

describe('GET /v1/customers/:id', () => {
  it('shows the customer to every staff role', async () => {
    const customer = await createCustomer();
    for (const role of ['service', 'admin', 'operator', 'compliance'] as const) {
      const response = await t.app.inject({ url: `/v1/customers/${customer.id}`, headers: t.as(role) });
      expect(response.statusCode, role).toBe(200);
      expect(response.json()).toEqual(customer);
    }
  });

  it('shows a customer only itself; anyone else is not found', async () => {
    const alice = await createCustomer({ full_name: 'Alice', country: 'US' });
    const bob = await createCustomer({ full_name: 'Bob', country: 'US' });
    const own = await t.app.inject({ url: `/v1/customers/${alice.id}`, headers: t.as('customer', alice.id) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual(alice);
    // A UUID may be written in capitals; it is still the customer's own id.
    const shouted = await t.app.inject({
      url: `/v1/customers/${alice.id.toUpperCase()}`,
      headers: t.as('customer', alice.id),
    });
    expect(shouted.statusCode).toBe(200);
    expect(shouted.json()).toEqual(alice);
    const other = await t.app.inject({ url: `/v1/customers/${bob.id}`, headers: t.as('customer', alice.id) });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'not_found' });
    expect(other.body).not.toContain('Bob');
  });

  it('answers 404 for an unknown id, 400 for a malformed one and 401 without a token', async () => {
    expect(
      (await t.app.inject({ url: `/v1/customers/${uuidv7()}`, headers: t.as('service') })).statusCode,
    ).toBe(404);
    const malformed = await t.app.inject({ url: '/v1/customers/not-a-uuid', headers: t.as('service') });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].path).toBe('/params/id');
    expect((await t.app.inject({ url: `/v1/customers/${uuidv7()}` })).statusCode).toBe(401);
  });
});
