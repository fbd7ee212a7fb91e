/**
 * Every HTTP service on one test database, as one platform for the fuzz campaign: the accounts API
 * (customers, accounts, auth), the transactions API (money-moving commands), the compliance API (cases,
 * sanctions lists, reports) and the ops API (queues), each driven in-process with `app.inject`. No
 * workers run, so nothing moves money behind the requests' backs.
 */
import { createTestTokens, TEST_JWT_OPTIONS, type TestTokens } from '@ledgerline/auth/testing';
import { createEnvelopeCipher, generateKey, parseKeyring } from '@ledgerline/crypto';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import type { ServiceApp } from '@ledgerline/http';
// eslint-disable-next-line @nx/enforce-module-boundaries -- an e2e suite drives the app factories in-process, as their own tests do
import { buildAccountsApp } from '@ledgerline/accounts-api';
// eslint-disable-next-line @nx/enforce-module-boundaries -- an e2e suite drives the app factories in-process, as their own tests do
import { buildTransactionsApp } from '../../../transactions-api/src/app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- an e2e suite drives the app factories in-process, as their own tests do
import { buildComplianceApp } from '../../../compliance-api/src/app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- an e2e suite drives the app factories in-process, as their own tests do
import { buildOpsApp } from '../../../ops-api/src/app';
import { deleteQueueKeys } from '@ledgerline/queue/testing';
import { Redis } from 'ioredis';

export type ServiceName = 'accounts' | 'transactions' | 'compliance' | 'ops';

export interface FuzzPlatform {
  apps: Readonly<Record<ServiceName, ServiceApp>>;
  database: TestDatabase;
  tokens: TestTokens;
  /** The Redis URL and queue prefix the ops API steers (seeding puts a failed job there). */
  queues: { redis_url: string; prefix: string };
  close(): Promise<void>;
}

/**
 * Rate limits are set far above what a run sends, so that every answer is about the request itself;
 * the token endpoint's login throttle keeps its production-like bounds (its 429 is a contract answer).
 */
export async function startFuzzPlatform(): Promise<FuzzPlatform> {
  const database = await createTestDatabase();
  const redis = new Redis(testServices().redis_url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  await redis.connect();
  const key_prefix = uniqueQueuePrefix();
  const accounts = await buildAccountsApp({
    db: database.db,
    redis,
    cipher: createEnvelopeCipher({
      keyring: parseKeyring(`fuzz-key:${generateKey()}`),
      active_key_id: 'fuzz-key',
    }),
    jwt: TEST_JWT_OPTIONS,
    key_prefix,
    log_level: 'silent',
    rate_limit: { max: 1_000_000, time_window_ms: 60_000 },
    login_throttle: { failures_max_per_client: 10, failures_max_per_ip: 100, window_ms: 60_000 },
  });
  const shared = {
    db: database.db,
    redis,
    jwt: TEST_JWT_OPTIONS,
    key_prefix,
    log_level: 'silent',
    rate_limit: { max: 1_000_000, time_window_ms: 60_000 },
  } as const;
  const transactions = await buildTransactionsApp({
    ...shared,
    transfer_options: { wait_poll_interval_ms_max: 50 },
  });
  const compliance = await buildComplianceApp(shared);
  const ops = await buildOpsApp(shared);
  const apps = { accounts, transactions, compliance, ops };
  await Promise.all(Object.values(apps).map((app) => app.ready()));
  return {
    apps,
    database,
    tokens: createTestTokens(TEST_JWT_OPTIONS),
    queues: { redis_url: testServices().redis_url, prefix: key_prefix },
    async close() {
      await Promise.allSettled(Object.values(apps).map((app) => app.close()));
      await redis.quit();
      await deleteQueueKeys(testServices().redis_url, key_prefix);
      await database.drop();
    },
  };
}
