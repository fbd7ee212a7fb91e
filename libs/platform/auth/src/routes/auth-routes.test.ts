import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { buildServiceApp, type ServiceApp } from '@ledgerline/http';
import { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every secret check is a deliberately slow scrypt (tens of milliseconds, far more on a busy CI host).
import { createApiClientService, type ApiClientService } from '../clients/api-client-service';
import { ensureBootstrapAdmin } from '../clients/bootstrap-admin';
import { authPlugin } from '../plugin/auth-plugin';
import { createTestTokens, TEST_JWT_OPTIONS } from '../testing/index';
import { authRoutes } from './auth-routes';

const ADMIN = { client_id: 'root-admin', client_secret: 'root-admin-secret-at-least-32-characters' };
const FAILURES_MAX_PER_CLIENT = 3;
const FAILURES_MAX_PER_IP = 8;

let database: TestDatabase;
let redis: Redis;
let clients: ApiClientService;
let app: ServiceApp;
const key_prefix = uniqueQueuePrefix();
const tokens = createTestTokens(TEST_JWT_OPTIONS);

beforeAll(async () => {
  database = await createTestDatabase();
  redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
  clients = createApiClientService({ db: database.db });
  await ensureBootstrapAdmin({ db: database.db, ...ADMIN });
  app = await buildServiceApp({
    service_name: 'accounts-test',
    log_level: 'silent',
    rate_limit: { max: 10_000, time_window_ms: 60_000 },
  });
  await app.register(authPlugin, { jwt: TEST_JWT_OPTIONS });
  await app.register(authRoutes, {
    clients,
    redis,
    key_prefix,
    login_throttle: {
      failures_max_per_client: FAILURES_MAX_PER_CLIENT,
      failures_max_per_ip: FAILURES_MAX_PER_IP,
      window_ms: 60_000,
    },
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  const keys = await redis.keys(`${key_prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await database.drop();
});

let nextAddress = 1;
/** Each test calls from its own address, so per-address counting in one test does not leak into another. */
const newAddress = () => `10.1.0.${nextAddress++}`;

const requestToken = (client_id: string, client_secret: string, remoteAddress: string) =>
  app.inject({ method: 'POST', url: '/v1/auth/token', payload: { client_id, client_secret }, remoteAddress });

const createClient = (authorization: string | undefined, payload: Record<string, unknown>) =>
  app.inject({
    method: 'POST',
    url: '/v1/clients',
    payload,
    headers: authorization === undefined ? {} : { authorization },
  });

describe('POST /v1/auth/token', { timeout: 60_000 }, () => {
  it('issues a bearer token with the contract claims for good credentials', async () => {
    const response = await requestToken(ADMIN.client_id, ADMIN.client_secret, newAddress());
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json() as { access_token: string; token_type: string; expires_in: number };
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900 });
    const claims = JSON.parse(
      Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: ADMIN.client_id,
      role: 'admin',
      iss: 'ledgerline-test',
      aud: 'ledgerline-test-api',
    });
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sub']);
  });

  it('issues a new token to a client that still sends its expired one, and gives a bad one nothing', async () => {
    const stale = { authorization: `Bearer ${tokens.expired('service')}` };
    const renewed = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: ADMIN,
      headers: stale,
      remoteAddress: newAddress(),
    });
    expect(renewed.statusCode).toBe(200);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { ...ADMIN, client_secret: 'wrong' },
      headers: stale,
      remoteAddress: newAddress(),
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({
      code: 'unauthorized',
      detail: 'The client id or secret is not valid.',
    });
  });

  it('answers 401 for a wrong secret and for an unknown client alike', async () => {
    const address = newAddress();
    const wrong = await requestToken(ADMIN.client_id, 'not-the-secret', address);
    const unknown = await requestToken('nobody', 'not-the-secret', address);
    for (const response of [wrong, unknown]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({
        code: 'unauthorized',
        detail: 'The client id or secret is not valid.',
      });
    }
  });

  it('validates the body', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { client_id: 'x' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: '/body/client_secret', message: 'is required' }],
    });
  });

  it('locks a client out from the guessing address after repeated failures, even for the right secret, with Retry-After', async () => {
    const created = await clients.create({ name: 'Victim', role: 'service', customer_id: null });
    if (!created.ok) throw new Error('expected a client');
    const { client_id, client_secret } = created.client;
    const attacker = newAddress();
    for (let attempt = 0; attempt < FAILURES_MAX_PER_CLIENT; attempt += 1) {
      expect((await requestToken(client_id, 'guess', attacker)).statusCode).toBe(401);
    }
    const locked = await requestToken(client_id, client_secret, attacker);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'rate_limited' });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The lock lives in Redis, so every instance sees it.
    expect((await redis.keys(`${key_prefix}:auth-failures:client:*`)).length).toBeGreaterThan(0);
  });

  it('does not let failures from other addresses lock the client out of its own', async () => {
    const created = await clients.create({ name: 'Bank backend', role: 'service', customer_id: null });
    if (!created.ok) throw new Error('expected a client');
    const { client_id, client_secret } = created.client;
    // A stranger who knows the client id fails from many addresses, more often than one address may.
    for (let attempt = 0; attempt < FAILURES_MAX_PER_CLIENT * 3; attempt += 1) {
      expect((await requestToken(client_id, 'guess', newAddress())).statusCode).toBe(401);
    }
    expect((await requestToken(client_id, client_secret, newAddress())).statusCode).toBe(200);
  });

  it('forgets earlier failures after a successful login', async () => {
    const created = await clients.create({ name: 'Forgetful', role: 'service', customer_id: null });
    if (!created.ok) throw new Error('expected a client');
    const { client_id, client_secret } = created.client;
    const address = newAddress();
    for (let round = 0; round < 2; round += 1) {
      for (let attempt = 0; attempt < FAILURES_MAX_PER_CLIENT - 1; attempt += 1) {
        expect((await requestToken(client_id, 'guess', address)).statusCode).toBe(401);
      }
      expect((await requestToken(client_id, client_secret, address)).statusCode).toBe(200);
    }
  });

  it('locks an address out after failures across many client ids', async () => {
    const address = newAddress();
    for (let attempt = 0; attempt < FAILURES_MAX_PER_IP; attempt += 1) {
      expect((await requestToken(`probe-${attempt}`, 'guess', address)).statusCode).toBe(401);
    }
    const locked = await requestToken(ADMIN.client_id, ADMIN.client_secret, address);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBeDefined();
    expect((await requestToken(ADMIN.client_id, ADMIN.client_secret, newAddress())).statusCode).toBe(200);
  });

  it('counts parallel guesses before checking them, so a burst cannot get past the limit', async () => {
    const address = newAddress();
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => requestToken('burst-target', 'guess', address)),
    );
    const statuses = burst.map((response) => response.statusCode).sort();
    expect(statuses.filter((status) => status === 401)).toHaveLength(FAILURES_MAX_PER_CLIENT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6 - FAILURES_MAX_PER_CLIENT);
  });
});

describe('POST /v1/clients', { timeout: 60_000 }, () => {
  const adminToken = () =>
    requestToken(ADMIN.client_id, ADMIN.client_secret, newAddress()).then(
      (response) => `Bearer ${(response.json() as { access_token: string }).access_token}`,
    );

  it('lets an admin create a client whose credentials then work', async () => {
    const response = await createClient(await adminToken(), { name: 'Bank backend', role: 'service' });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const created = response.json() as { client_id: string; client_secret: string };
    expect(created).toEqual({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      name: 'Bank backend',
      role: 'service',
      customer_id: null,
    });
    expect((await requestToken(created.client_id, created.client_secret, newAddress())).statusCode).toBe(200);
  });

  it('refuses every other role with 403 and anonymous callers with 401', async () => {
    for (const role of ['customer', 'service', 'operator', 'compliance'] as const) {
      const response = await createClient(tokens.bearer(role), { name: 'x', role: 'service' });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    expect((await createClient(undefined, { name: 'x', role: 'service' })).statusCode).toBe(401);
  });

  it('requires an existing customer for customer clients, and no customer for others', async () => {
    const admin = tokens.bearer('admin');
    const customer_id = uuidv7();
    await database.pool.query(
      `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, '\\x00', '\\x00', 'test', 'US')`,
      [customer_id],
    );
    const created = await createClient(admin, { name: 'Mobile app', role: 'customer', customer_id });
    expect(created.statusCode).toBe(201);
    const { client_id, client_secret } = created.json() as { client_id: string; client_secret: string };
    const token = (await requestToken(client_id, client_secret, newAddress())).json() as {
      access_token: string;
    };
    expect(JSON.parse(Buffer.from(token.access_token.split('.')[1]!, 'base64url').toString())).toMatchObject({
      role: 'customer',
      customer_id,
    });

    const missing = await createClient(admin, { name: 'x', role: 'customer' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: '/body/customer_id' }],
    });
    expect((await createClient(admin, { name: 'x', role: 'operator', customer_id })).statusCode).toBe(400);
    const unknown = await createClient(admin, { name: 'x', role: 'customer', customer_id: uuidv7() });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: '/body/customer_id', message: 'no customer has this id' }],
    });
    expect((await createClient(admin, { name: 'x', role: 'root' })).statusCode).toBe(400);
  });
});
