import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH_ENVIRONMENT } from '@ledgerline/auth/testing';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { freePort } from '@ledgerline/processes';
import { spawnApp, waitUntil, expectOneLineConfigError } from '@ledgerline/queue/testing';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('compliance-api main', () => {
  it('prints one line naming the bad variable and exits 1', async () => {
    await expectOneLineConfigError(
      MAIN,
      { ...TEST_AUTH_ENVIRONMENT, PORT: 'seventy' },
      /^compliance-api: Invalid configuration: PORT /,
    );
  }, 60_000);

  it('listens, is ready with its database and Redis, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = spawnApp(MAIN, {
      ...TEST_AUTH_ENVIRONMENT,
      DATABASE_URL: database.url,
      REDIS_URL: testServices().redis_url,
      QUEUE_PREFIX: uniqueQueuePrefix(),
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    try {
      const ready = await waitUntil(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          return response?.status === 200 ? response : undefined;
        },
        { timeout_ms: 45_000, what: 'compliance-api to be ready' },
      );
      expect(ready.status).toBe(200);
      const anonymous = await fetch(`http://127.0.0.1:${port}/v1/compliance/cases`);
      expect(anonymous.status).toBe(401);
      run.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } finally {
      run.kill('SIGKILL');
    }
  }, 60_000);
});
