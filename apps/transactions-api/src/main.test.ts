import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTokens, TEST_AUTH_ENVIRONMENT } from '@ledgerline/auth/testing';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { freePort } from '@ledgerline/processes';
import { expectOneLineConfigError, spawnApp, waitUntil } from '@ledgerline/queue/testing';
import { seedAccount, seedCustomer } from './test-support';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
// Starting a process compiles the whole import graph with tsx: seconds alone, longer beside the suite.
const TEST_TIMEOUT_MS = 90_000;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('main', () => {
  it(
    'exits 1 with one line naming the bad variable',
    async () => {
      await expectOneLineConfigError(
        MAIN,
        { ...TEST_AUTH_ENVIRONMENT, PORT: 'eighty' },
        /^transactions-api: Invalid configuration: PORT must be integer \(got "eighty"\)$/,
      );
      await expectOneLineConfigError(
        MAIN,
        { IDEMPOTENCY_TTL_SECONDS: '3600' },
        /^transactions-api: Invalid configuration: IDEMPOTENCY_TTL_SECONDS/,
      );
      await expectOneLineConfigError(
        MAIN,
        {
          ...TEST_AUTH_ENVIRONMENT,
          HOLD_EXPIRES_IN_SECONDS_DEFAULT: '7200',
          HOLD_EXPIRES_IN_SECONDS_MAX: '3600',
        },
        /^transactions-api: Invalid configuration: HOLD_EXPIRES_IN_SECONDS_DEFAULT must not exceed HOLD_EXPIRES_IN_SECONDS_MAX$/,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'serves transfers, reports ready, and shuts down cleanly on SIGTERM',
    async () => {
      const port = await freePort();
      const run = spawnApp(MAIN, {
        ...TEST_AUTH_ENVIRONMENT,
        PORT: String(port),
        DATABASE_URL: database.url,
        REDIS_URL: testServices().redis_url,
        QUEUE_PREFIX: uniqueQueuePrefix(),
        LOG_LEVEL: 'warn',
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, {
          timeout_ms: 60_000,
          interval_ms: 100,
          what: 'transactions-api to be ready',
        });
        const customer = await seedCustomer(database.pool);
        const source = await seedAccount(database.pool, { customer_id: customer });
        const destination = await seedAccount(database.pool, { customer_id: customer });
        const response = await fetch(`${base}/v1/transfers`, {
          method: 'POST',
          headers: {
            authorization: createTestTokens().bearer('service'),
            'content-type': 'application/json',
            'idempotency-key': 'main-test-1',
          },
          body: JSON.stringify({
            source_account_id: source,
            destination_account_id: destination,
            amount: '1.00',
            currency: 'USD',
          }),
        });
        expect(response.status).toBe(202);
        expect(response.headers.get('location')).toMatch(/^\/v1\/transfers\//);
        run.kill('SIGTERM');
        const exit = await run.exited;
        expect(exit.code, exit.stderr).toBe(0);
      } finally {
        run.kill('SIGKILL');
      }
    },
    TEST_TIMEOUT_MS,
  );
});
