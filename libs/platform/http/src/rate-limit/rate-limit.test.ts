// The shared test services (Postgres and Redis of the run) live in the db library's testing entry.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { testServices, uniqueQueuePrefix } from '@ledgerline/db/testing';
import { Redis } from 'ioredis';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceApp, type ServiceApp } from '../app/build-service-app';
import { addressKeyOf } from './rate-limit';

let redis: Redis;
let app: ServiceApp;
const key_prefix = uniqueQueuePrefix();

beforeAll(async () => {
  redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
  app = await buildServiceApp({
    service_name: 'limited',
    log_level: 'silent',
    rate_limit: { max: 3, time_window_ms: 30_000, redis, key_prefix },
  });
  // Stands in for the auth plugin: a verified caller is named by this header.
  app.addHook('onRequest', async (request) => {
    const client = request.headers['x-test-client'];
    if (typeof client === 'string') request.principal = { client_id: client, role: 'service', customer_id: null };
  });
  app.get('/v1/ping', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
  const keys = await redis.keys(`${key_prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('rate limit', () => {
  it('answers 429 rate_limited with Retry-After once the budget is spent, counting in Redis', async () => {
    const statuses: number[] = [];
    let last;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      last = await app.inject({ method: 'GET', url: '/v1/ping', remoteAddress: '10.0.0.1' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(last!.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    const retryAfter = Number(last!.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(last!.headers['x-request-id']).toBeDefined();
    expect((await redis.keys(`${key_prefix}:rate-limit:*`)).length).toBeGreaterThan(0);
  });

  it('gives each authenticated client its own budget, wherever it calls from', async () => {
    const from = (client: string) => app.inject({ method: 'GET', url: '/v1/ping', remoteAddress: '10.0.0.2', headers: { 'x-test-client': client } });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await from('client-a')).statusCode).toBe(200);
    expect((await from('client-a')).statusCode).toBe(429);
    expect((await from('client-b')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/ping', remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
  });

  it('limits unknown routes but never the health probes', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      statuses.push((await app.inject({ method: 'GET', url: '/v1/nothing-here', remoteAddress: '10.0.0.3' })).statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.4' })).statusCode).toBe(200);
    }
  });
});

describe('addressKeyOf', () => {
  it('keeps an address as it is and makes anything else a short hash, so a key stays small', () => {
    expect(addressKeyOf('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKeyOf('2001:db8::1')).toBe('2001:db8::1');
    const forged = addressKeyOf('x'.repeat(8_192));
    expect(forged).toMatch(/^h-[0-9a-f]{32}$/);
    expect(addressKeyOf('x'.repeat(8_192))).toBe(forged);
  });
});
