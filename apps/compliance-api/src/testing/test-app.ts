import { createTestTokens, TEST_JWT_OPTIONS, type TestTokens } from '@ledgerline/auth/testing';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { Redis } from 'ioredis';
import { buildComplianceApp } from '../app';

/** One compliance app on its own database and Redis prefix, for one test file. */
export interface TestComplianceApp {
  app: ServiceApp;
  database: TestDatabase;
  redis: Redis;
  tokens: TestTokens;
  /** `authorization` headers for a role, with a fixed client id per role (it shows as `decided_by`). */
  as(role: Role): { authorization: string };
  close(): Promise<void>;
}

export async function startTestComplianceApp(): Promise<TestComplianceApp> {
  const database = await createTestDatabase();
  const redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
  const app = await buildComplianceApp({
    db: database.db,
    redis,
    jwt: TEST_JWT_OPTIONS,
    key_prefix: uniqueQueuePrefix(),
    log_level: 'silent',
    rate_limit: { max: 100_000, time_window_ms: 60_000 },
  });
  await app.ready();
  const tokens = createTestTokens(TEST_JWT_OPTIONS);
  return {
    app,
    database,
    redis,
    tokens,
    as: (role) => ({ authorization: tokens.bearer(role, { client_id: `test-${role}` }) }),
    async close() {
      await app.close();
      await redis.quit();
      await database.drop();
    },
  };
}
