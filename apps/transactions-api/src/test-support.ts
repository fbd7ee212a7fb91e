/**
 * Shared setup of this app's tests: a migrated database per test file, the app on it, tokens for every
 * role, and SQL seeding of customers and accounts (so the tests need no other service running).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { buildTransactionsApp } from './app';

export interface TestContext {
  app: ServiceApp;
  database: TestDatabase;
  tokens: ReturnType<typeof createTestTokens>;
  close(): Promise<void>;
}

export async function startTestApp(): Promise<TestContext> {
  const database = await createTestDatabase();
  const app = await buildTransactionsApp({
    db: database.db,
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
      await database.drop();
    },
  };
}

export async function seedCustomer(pool: pg.Pool): Promise<string> {
  const id = uuidv7();
  await pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'test', 'US')`,
    [id, randomBytes(16), randomBytes(16)],
  );
  return id;
}

export async function seedAccount(
  pool: pg.Pool,
  options: { customer_id: string; currency?: string; status?: 'active' | 'frozen' | 'closed' },
): Promise<string> {
  const id = uuidv7();
  await pool.query(
    `INSERT INTO accounts (id, customer_id, currency, status) VALUES ($1, $2, $3, $4::account_status)`,
    [id, options.customer_id, options.currency ?? 'USD', options.status ?? 'active'],
  );
  return id;
}

/** Row counts of everything accepting a request writes. */
export async function writtenRows(
  pool: pg.Pool,
): Promise<{ transfers: number; outbox: number; idempotency: number; batches: number }> {
  const { rows } = await pool.query<{
    transfers: number;
    outbox: number;
    idempotency: number;
    batches: number;
  }>(`
    SELECT (SELECT count(*) FROM transfers)::int AS transfers,
           (SELECT count(*) FROM outbox_messages)::int AS outbox,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency,
           (SELECT count(*) FROM transfer_batches)::int AS batches`);
  const [counts] = rows;
  if (counts === undefined) throw new Error('count query returned no row');
  return counts;
}

/** Moves a transfer as the workers would, for tests of what may follow. */
export async function forceStatus(
  pool: pg.Pool,
  transfer_id: string,
  status: 'pending' | 'posted' | 'rejected' | 'voided',
): Promise<void> {
  await pool.query(
    `UPDATE transfers SET status = $2::text::transfer_status, posted_at = CASE WHEN $2::text = 'posted' THEN now() END,
       updated_at = now() WHERE id = $1`,
    [transfer_id, status],
  );
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
