import { createTestTokens, TEST_JWT_OPTIONS, type TestTokens } from '@ledgerline/auth/testing';
import { createEnvelopeCipher, generateKey, parseKeyring } from '@ledgerline/crypto';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { Redis } from 'ioredis';
import { buildAccountsApp } from '../app';

/** One accounts app on its own database and Redis prefix, for one test file. */
export interface TestAccountsApp {
  app: ServiceApp;
  database: TestDatabase;
  redis: Redis;
  tokens: TestTokens;
  /** `authorization` headers for a role (customer tokens bound to `customer_id`). */
  as(role: Role, customer_id?: string): { authorization: string };
  close(): Promise<void>;
}

export async function startTestAccountsApp(): Promise<TestAccountsApp> {
  const database = await createTestDatabase();
  const redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
  const app = await buildAccountsApp({
    db: database.db,
    redis,
    cipher: createEnvelopeCipher({
      keyring: parseKeyring(`test-key:${generateKey()}`),
      active_key_id: 'test-key',
    }),
    jwt: TEST_JWT_OPTIONS,
    key_prefix: uniqueQueuePrefix(),
    log_level: 'silent',
    rate_limit: { max: 100_000, time_window_ms: 60_000 },
    login_throttle: { failures_max_per_client: 10, failures_max_per_ip: 100, window_ms: 60_000 },
  });
  await app.ready();
  const tokens = createTestTokens(TEST_JWT_OPTIONS);
  return {
    app,
    database,
    redis,
    tokens,
    as: (role, customer_id) => ({
      authorization: tokens.bearer(role, customer_id === undefined ? {} : { customer_id }),
    }),
    async close() {
      await app.close();
      await redis.quit();
      await database.drop();
    },
  };
}
