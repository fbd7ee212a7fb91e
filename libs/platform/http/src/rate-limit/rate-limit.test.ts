// The shared test services (Postgres and Redis of the run) live in the db library's testing entry.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { testServices, uniqueQueuePrefix } from '@ledgerline/db/testing';
import { Redis } from 'ioredis';
import Type from 'typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildServiceApp, type ServiceApp } from '../app/build-service-app';
import { addressKeyOf } from './rate-limit';

let redis: Redis;
let app: ServiceApp;
const key_prefix = uniqueQueuePrefix();
/** The window of the service built once below, and of each `instance()`. */
const APP_WINDOW_MS = 30_000;
const INSTANCE_WINDOW_MS = 60_000;

beforeAll(async () => {
  redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
  app = await buildServiceApp({
    service_name: 'limited',
    log_level: 'silent',
    rate_limit: { max: 3, time_window_ms: APP_WINDOW_MS, redis, key_prefix, sync_interval_ms: 20 },
  });
  // Stands in for the auth plugin: a verified caller is named by this header.
  app.addHook('onRequest', async (request) => {
    const client = request.headers['x-test-client'];
    if (typeof client === 'string')
      request.principal = { client_id: client, role: 'service', customer_id: null };
  });
  app.get('/v1/ping', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({
    ok: true,
  }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
  const keys = await redis.keys(`${key_prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/**
 * Windows are fixed and aligned to the epoch, so a test that spends a budget and expects 429 would see
 * a fresh budget if a window turned in the middle of it (it did, once in a few hundred runs). Each such
 * test starts at least `margin_ms` before the end of the current window.
 */
async function awayFromWindowTurn(window_ms: number, margin_ms = 5_000): Promise<void> {
  const left_ms = window_ms - (Date.now() % window_ms);
  if (left_ms < margin_ms) await new Promise((resolve) => setTimeout(resolve, left_ms + 20));
}

/** The total Redis holds for one caller, over its window keys (a window may turn during a test). */
async function sharedCount(caller_prefix: string): Promise<number> {
  const keys = await redis.keys(`${caller_prefix}*`);
  const values = keys.length === 0 ? [] : await redis.mget(...keys);
  return values.reduce((total, value) => total + Number(value ?? 0), 0);
}

/** Another instance of the same service: same budget, same Redis, its own process memory. */
async function instance(options: {
  redis: Redis;
  max: number;
  sync_interval_ms?: number;
  on_close?: () => Promise<void>;
}): Promise<ServiceApp> {
  const other = await buildServiceApp({
    service_name: 'limited',
    log_level: 'silent',
    rate_limit: {
      max: options.max,
      time_window_ms: INSTANCE_WINDOW_MS,
      redis: options.redis,
      key_prefix,
      sync_interval_ms: options.sync_interval_ms ?? 20,
    },
  });
  other.get('/v1/ping', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({
    ok: true,
  }));
  if (options.on_close !== undefined) other.addHook('onClose', options.on_close);
  await other.ready();
  return other;
}

async function statusesOf(target: ServiceApp, remoteAddress: string, requests: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < requests; attempt += 1) {
    statuses.push((await target.inject({ method: 'GET', url: '/v1/ping', remoteAddress })).statusCode);
  }
  return statuses;
}

describe('rate limit', () => {
  beforeEach(() => awayFromWindowTurn(APP_WINDOW_MS));

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
    // Shared with the other instances through Redis within a sync interval.
    await vi.waitFor(async () => expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.0.1:`)).toBe(4));
  });

  it('gives each authenticated client its own budget, wherever it calls from', async () => {
    const from = (client: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/ping',
        remoteAddress: '10.0.0.2',
        headers: { 'x-test-client': client },
      });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await from('client-a')).statusCode).toBe(200);
    expect((await from('client-a')).statusCode).toBe(429);
    expect((await from('client-b')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/ping', remoteAddress: '10.0.0.2' })).statusCode).toBe(
      200,
    );
  });

  it('limits unknown routes but never the health probes', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      statuses.push(
        (await app.inject({ method: 'GET', url: '/v1/nothing-here', remoteAddress: '10.0.0.3' })).statusCode,
      );
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect(
        (await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.4' })).statusCode,
      ).toBe(200);
    }
  });
});

describe('rate limit across instances', () => {
  beforeEach(() => awayFromWindowTurn(INSTANCE_WINDOW_MS));

  it("holds one budget for a caller across instances: each sees the others' requests within a sync", async () => {
    const [first, second] = [await instance({ redis, max: 5 }), await instance({ redis, max: 5 })];
    try {
      expect(await statusesOf(first, '10.0.1.1', 4)).toEqual([200, 200, 200, 200]);
      await vi.waitFor(async () =>
        expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.1:`)).toBe(4),
      );
      // The second instance's first request reaches Redis at its next sync; from then on it knows of all five.
      expect(await statusesOf(second, '10.0.1.1', 1)).toEqual([200]);
      await vi.waitFor(async () =>
        expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.1:`)).toBe(5),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await statusesOf(second, '10.0.1.1', 2)).toEqual([429, 429]);
      await vi.waitFor(async () =>
        expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.1:`)).toBe(7),
      );
      // The first instance has sent nothing since: its next request is judged on its last sync (4 + 1),
      // and the sync after it tells it about the others' requests. That is the limit's bounded
      // overshoot: about one sync interval of a caller's requests per instance.
      expect(await statusesOf(first, '10.0.1.1', 1)).toEqual([200]);
      await vi.waitFor(async () =>
        expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.1:`)).toBe(8),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await statusesOf(first, '10.0.1.1', 1)).toEqual([429]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("sends its last counts when it shuts down, before the service's own close hook quits Redis", async () => {
    const own = new Redis(testServices().redis_url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // No sync before the shutdown: whatever reaches Redis is the last sync's.
    // As runHttpService does, the service quits its Redis connection in an onClose hook of its own.
    const closing = await instance({
      redis: own,
      max: 10,
      sync_interval_ms: 3_600_000,
      on_close: async () => {
        await own.quit();
      },
    });
    expect(await statusesOf(closing, '10.0.1.3', 3)).toEqual([200, 200, 200]);
    expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.3:`)).toBe(0);
    await closing.close();
    expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.3:`)).toBe(3);
  });

  it('still limits each instance on its own while Redis is unreachable, and never answers 5xx for it', async () => {
    const unreachable = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const alone = await instance({ redis: unreachable, max: 3 });
    try {
      expect(await statusesOf(alone, '10.0.1.2', 5)).toEqual([200, 200, 200, 429, 429]);
      expect(await sharedCount(`${key_prefix}:rate-limit:ip:10.0.1.2:`)).toBe(0);
    } finally {
      await alone.close();
      unreachable.disconnect();
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
