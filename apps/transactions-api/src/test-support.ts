/**
 * Shared setup of this app's tests: a migrated database per test file, the app on it, tokens for every
 * role, and SQL seeding of customers and accounts (so the tests need no other service running).
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { seedAccount, seedCustomer } from '@ledgerline/transfers/testing';
import { Redis } from 'ioredis';
import { buildTransactionsApp } from './app';

export { forceStatus, seedAccount, seedCustomer, writtenRows } from '@ledgerline/transfers/testing';

export interface TestContext {
  app: ServiceApp;
  database: TestDatabase;
  tokens: ReturnType<typeof createTestTokens>;
  close(): Promise<void>;
}

async function startTestApp(): Promise<TestContext> {
  const database = await createTestDatabase();
  const redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
  const app = await buildTransactionsApp({
    db: database.db,
    redis,
    key_prefix: uniqueQueuePrefix(),
    jwt: TEST_JWT_OPTIONS,
    log_level: 'silent',
    rate_limit: { max: 100_000, time_window_ms: 60_000 },
    transfer_options: { wait_poll_interval_ms_max: 50 },
  });
  await app.ready();
  return {
    app,
    database,
    tokens: createTestTokens(),
    async close() {
      await app.close();
      await redis.quit();
      await database.drop();
    },
  };
}

/** The app of one test file, with two customers, Alice and Bob, who have one active USD account each. */
export interface TestApp extends TestContext {
  alice: string;
  bob: string;
  alice_account: string;
  bob_account: string;
  /**
   * The body of a USD transfer of the file's amount from Alice's account to Bob's; `overrides` replace or
   * add fields. It may be called unbound (`const { transferBody } = context`).
   */
  transferBody(overrides?: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Starts the app and seeds Alice and Bob in `beforeAll`, and closes it in `afterAll`. Call it at the top
 * of a test file; the fields of what it returns are set once `beforeAll` has run, so read them in hooks
 * and tests only.
 */
export function useTestApp(options: { transfer_amount?: string } = {}): TestApp {
  const amount = options.transfer_amount ?? '10.00';
  const context = {} as TestApp;
  context.transferBody = (overrides = {}) => ({
    source_account_id: context.alice_account,
    destination_account_id: context.bob_account,
    amount,
    currency: 'USD',
    ...overrides,
  });
  beforeAll(async () => {
    Object.assign(context, await startTestApp());
    const { pool } = context.database;
    context.alice = await seedCustomer(pool);
    context.bob = await seedCustomer(pool);
    context.alice_account = await seedAccount(pool, { customer_id: context.alice });
    context.bob_account = await seedAccount(pool, { customer_id: context.bob });
  });
  afterAll(async () => {
    await context.close();
  });
  return context;
}

export interface PostOptions {
  role?: Role;
  customer_id?: string;
  client_id?: string;
  /** `null` sends no Idempotency-Key; absent sends a fresh one. */
  key?: string | null;
  headers?: Record<string, string>;
}

/** POSTs JSON as a caller with a role (default `service`) and an Idempotency-Key. */
export function post(
  context: TestContext,
  url: string,
  body: unknown,
  options: PostOptions = {},
): Promise<LightMyRequestResponse> {
  const key = options.key === undefined ? randomUUID() : options.key;
  return context.app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: context.tokens.bearer(
        options.role ?? 'service',
        tokenOverrides(options.role ?? 'service', options),
      ),
      ...(key === null ? {} : { 'idempotency-key': key }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}

export function get(
  context: TestContext,
  url: string,
  options: { role?: Role; customer_id?: string; client_id?: string; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  return context.app.inject({
    method: 'GET',
    url,
    headers: {
      authorization: context.tokens.bearer(
        options.role ?? 'service',
        tokenOverrides(options.role ?? 'service', options),
      ),
      ...options.headers,
    },
  });
}

function tokenOverrides(role: Role, options: { customer_id?: string; client_id?: string }) {
  return {
    // One stable client per role (or customer) unless a test asks otherwise, so idempotency keys meet again.
    client_id: options.client_id ?? `client-${options.customer_id ?? role}`,
    ...(options.customer_id === undefined ? {} : { customer_id: options.customer_id }),
  };
}
