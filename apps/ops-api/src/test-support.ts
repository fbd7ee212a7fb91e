/**
 * Shared setup of this app's tests: a migrated database per test file (the audit trail), the app on a
 * real Redis under a prefix of its own, tokens for every role, and a producer to put jobs in its queues.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestTokens, TEST_JWT_OPTIONS } from '@ledgerline/auth/testing';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import type { Role, ServiceApp } from '@ledgerline/http';
import { createJobProducer, createProducerConnection, type JobProducer } from '@ledgerline/queue';
import { deleteQueueKeys, samplesOf } from '@ledgerline/queue/testing';
import { buildOpsApp, type OpsAppOptions } from './app';

export interface OpsTestContext {
  app: ServiceApp;
  database: TestDatabase;
  redis: Redis;
  redis_url: string;
  prefix: string;
  producer: JobProducer;
  tokens: ReturnType<typeof createTestTokens>;
}

/**
 * Builds the app in `beforeAll` and closes everything (and deletes the file's Redis keys) in `afterAll`.
 * `start` may change the app before it is ready (the browser test listens and adds the token route).
 * The fields are set once `beforeAll` has run: read them in hooks and tests only.
 */
export function useOpsTestApp(
  options: { app_options?: Partial<OpsAppOptions>; start?: (context: OpsTestContext) => Promise<void> } = {},
): OpsTestContext {
  const context = {} as OpsTestContext;
  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const { redis_url } = testServices();
    const prefix = uniqueQueuePrefix();
    const database = await createTestDatabase();
    const redis = createProducerConnection({ url: redis_url, connection_name: 'ops-api-test', logger });
    const app = await buildOpsApp({
      db: database.db,
      redis,
      jwt: TEST_JWT_OPTIONS,
      key_prefix: prefix,
      log_level: 'silent',
      rate_limit: { max: 100_000, time_window_ms: 60_000 },
      ...options.app_options,
    });
    Object.assign(context, {
      app,
      database,
      redis,
      redis_url,
      prefix,
      producer: createJobProducer({ connection: redis, prefix, logger }),
      tokens: createTestTokens(),
    });
    if (options.start === undefined) await app.ready();
    else await options.start(context);
  });
  afterAll(async () => {
    await context.app?.close();
    await context.producer?.close();
    await context.redis?.quit();
    if (context.prefix !== undefined) await deleteQueueKeys(context.redis_url, context.prefix);
    await context.database?.drop();
  });
  return context;
}

export const OTHER_ROLES: readonly Role[] = ['customer', 'service', 'compliance'];
export const OPERATOR_ROLES: readonly Role[] = ['operator', 'admin'];

/** A call as a caller with a role (one stable client per role), or anonymous when `role` is null. */
export function call(
  context: OpsTestContext,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  role: Role | null,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return context.app.inject({
    method,
    url,
    headers: {
      ...(role === null
        ? {}
        : { authorization: context.tokens.bearer(role, { client_id: `client-${role}` }) }),
      ...headers,
    },
  });
}

export function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json() as {
    code: string;
    detail: string;
    errors?: Array<{ path: string; message: string }>;
  };
  expect(body).toMatchObject({ status, code, type: `urn:ledgerline:problem:${code}` });
  return body;
}

/** The audit record of one request, by its request id. */
export async function auditRecordOf(context: OpsTestContext, request_id: string) {
  const { rows } = await context.database.pool.query(
    `SELECT actor, role, action, resource, outcome FROM audit_records WHERE request_id = $1`,
    [request_id],
  );
  return rows as Array<{ actor: string; role: string; action: string; resource: string; outcome: number }>;
}

export async function scrape(context: OpsTestContext): Promise<Map<string, number>> {
  const response = await call(context, 'GET', '/metrics', null);
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return samplesOf(response.body);
}
