import { createAccountService, createCustomerService } from '@ledgerline/accounts';
import { auditPlugin } from '@ledgerline/audit';
import { authPlugin, authRoutes, createApiClientService, type JwtOptions } from '@ledgerline/auth';
import type { EnvelopeCipher } from '@ledgerline/crypto';
import { isTransientDatabaseError, type Database } from '@ledgerline/db';
import { buildServiceApp, type LogLevel, type ServiceApp } from '@ledgerline/http';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { accountRoutes } from './routes/accounts.routes';
import { customerRoutes } from './routes/customers.routes';

export interface AccountsAppOptions {
  db: Database;
  /** Rate-limit counters and the token endpoint's failed-attempt counters. */
  redis: Redis;
  /** Encrypts customers' personal data. */
  cipher: EnvelopeCipher;
  jwt: JwtOptions;
  /** Prefix of this deployment's Redis keys (`QUEUE_PREFIX`; unique per test file). */
  key_prefix: string;
  log_level: LogLevel;
  /** Where log lines go; stdout when absent. */
  log_destination?: DestinationStream;
  body_limit_bytes?: number;
  /** Set behind the gateway, so rate limits and logs see the client's address. */
  trust_proxy?: boolean;
  rate_limit: { max: number; time_window_ms: number };
  login_throttle: { failures_max_per_client: number; failures_max_per_ip: number; window_ms: number };
}

/**
 * The accounts service: customers, accounts, balances and statements, plus the token endpoint and
 * API clients (`/v1/auth/token`, `/v1/clients`). The caller owns `db` and `redis` and closes them.
 */
export async function buildAccountsApp(options: AccountsAppOptions): Promise<ServiceApp> {
  const { db, redis } = options;
  const app = await buildServiceApp({
    service_name: 'accounts-api',
    is_transient_error: isTransientDatabaseError,
    log_level: options.log_level,
    ...(options.log_destination === undefined ? {} : { log_destination: options.log_destination }),
    ...(options.body_limit_bytes === undefined ? {} : { body_limit_bytes: options.body_limit_bytes }),
    trust_proxy: options.trust_proxy ?? false,
    rate_limit: { ...options.rate_limit, redis, key_prefix: options.key_prefix },
    readiness_checks: {
      database: () => db.$queryRaw`SELECT 1`,
      redis: () => redis.ping(),
    },
    openapi: { title: 'Ledgerline accounts API', description: 'Customers, accounts, balances and statements; API clients and tokens.' },
  });

  await app.register(authPlugin, { jwt: options.jwt });
  // After auth, so each record names its actor; before the routes, so every mutating request is recorded.
  await app.register(auditPlugin, { db });
  await app.register(authRoutes, {
    clients: createApiClientService({ db }),
    redis,
    key_prefix: options.key_prefix,
    login_throttle: options.login_throttle,
  });
  await app.register(customerRoutes, { customers: createCustomerService({ db, cipher: options.cipher }) });
  await app.register(accountRoutes, { accounts: createAccountService({ db }) });
  return app;
}
