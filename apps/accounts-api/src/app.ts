import { createAccountService, createCustomerService } from '@ledgerline/accounts';
import { authRoutes, createApiClientService } from '@ledgerline/auth';
import { createBatchMetrics } from '@ledgerline/batching';
import type { EnvelopeCipher } from '@ledgerline/crypto';
import type { ServiceApp } from '@ledgerline/http';
import { buildApiApp, type ApiAppOptions } from '@ledgerline/service';
import { accountRoutes } from './routes/accounts.routes';
import { customerRoutes } from './routes/customers.routes';

/**
 * `redis` holds the rate-limit counters and the token endpoint's failed-attempt counters, under
 * `key_prefix`.
 */
export interface AccountsAppOptions extends Omit<ApiAppOptions, 'service_name' | 'openapi'> {
  /** Encrypts customers' personal data. */
  cipher: EnvelopeCipher;
  login_throttle: { failures_max_per_client: number; failures_max_per_ip: number; window_ms: number };
}

/**
 * The accounts service: customers, accounts, balances and statements, plus the token endpoint and
 * API clients (`/v1/auth/token`, `/v1/clients`). The caller owns `db` and `redis` and closes them.
 */
export async function buildAccountsApp(options: AccountsAppOptions): Promise<ServiceApp> {
  const { db, redis } = options;
  const app = await buildApiApp({
    ...options,
    service_name: 'accounts-api',
    openapi: {
      title: 'Ledgerline accounts API',
      description: 'Customers, accounts, balances and statements; API clients and tokens.',
    },
  });
  await app.register(authRoutes, {
    clients: createApiClientService({ db }),
    redis,
    key_prefix: options.key_prefix,
    login_throttle: options.login_throttle,
  });
  await app.register(customerRoutes, { customers: createCustomerService({ db, cipher: options.cipher }) });
  const balance_batch_metrics = createBatchMetrics(app.metrics.registry)('balance');
  await app.register(accountRoutes, { accounts: createAccountService({ db, balance_batch_metrics }) });
  return app;
}
