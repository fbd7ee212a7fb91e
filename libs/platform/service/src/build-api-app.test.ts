import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from './build-api-app';

let database: TestDatabase;
let redis: Redis;
beforeAll(async () => {
  database = await createTestDatabase();
  redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
  await database.drop();
});

const tokens = createTestTokens(TEST_JWT_OPTIONS);

async function startApi() {
  const app = await buildApiApp({
    service_name: 'disabled-at-start',
    openapi: { title: 'test' },
    db: database.db,
    redis,
    jwt: TEST_JWT_OPTIONS,
    key_prefix: uniqueQueuePrefix(),
    log_level: 'silent',
    rate_limit: { max: 10_000, time_window_ms: 60_000 },
    // Far longer than the test: only the read made at start can have refused the token.
    disabled_clients_refresh_ms: 600_000,
  });
  app.get(
    '/v1/whoami',
    {
      schema: {
        response: { 200: { type: 'object', properties: { client_id: { type: ['string', 'null'] } } } },
      },
    },
    async (request) => ({ client_id: request.principal?.client_id ?? null }),
  );
  await app.ready();
  return app;
}

describe('an API that (re)starts', () => {
  it('refuses a disabled client from its very first request, while other clients get in', async () => {
    await database.pool.query(
      `INSERT INTO api_clients (id, client_id, name, role, secret_hash, disabled_at)
       VALUES (gen_random_uuid(), 'leaked-backend', 'Leaked backend', 'service', 'x', now())`,
    );
    const app = await startApi();
    try {
      // No wait between ready and the request: a restarted process listens right after ready.
      const disabled = await app.inject({
        url: '/v1/whoami',
        headers: { authorization: tokens.bearer('service', { client_id: 'leaked-backend' }) },
      });
      expect(disabled.statusCode).toBe(401);
      expect(disabled.json()).toMatchObject({ detail: 'The access token belongs to a disabled client.' });

      const other = await app.inject({
        url: '/v1/whoami',
        headers: { authorization: tokens.bearer('service', { client_id: 'other-backend' }) },
      });
      expect(other.statusCode).toBe(200);
      expect(other.json()).toEqual({ client_id: 'other-backend' });
    } finally {
      await app.close();
    }
  });
});
