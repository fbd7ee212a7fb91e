import { randomBytes } from 'node:crypto';
import { createTestDatabase, testServices, uniqueQueuePrefix, type TestDatabase } from '@ledgerline/db/testing';
import { AppProcess, freePort, waitForHttpReady } from './processes';

export const ADMIN_CLIENT_ID = 'e2e-admin';
export const ADMIN_CLIENT_SECRET = randomBytes(24).toString('base64url');

export interface PlatformOptions {
  /** Defaults to the test run's Redis. */
  redis_url?: string;
  /** Extra variables for every process (e.g. smaller batch sizes). */
  environment?: Record<string, string>;
}

/**
 * The whole platform as real processes on a database and queue prefix of the test's own:
 * both APIs, the relay, both workers and the gateway. Tests talk to `baseUrl` like a client.
 */
export class Platform {
  readonly apps = new Map<string, AppProcess>();
  baseUrl = '';
  database!: TestDatabase;

  private constructor(private readonly options: PlatformOptions) {}

  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const platform = new Platform(options);
    await platform.boot();
    return platform;
  }

  app(name: string): AppProcess {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  private async boot(): Promise<void> {
    this.database = await createTestDatabase();
    const [gatewayPort, accountsPort, transactionsPort] = [await freePort(), await freePort(), await freePort()];
    const shared: Record<string, string> = {
      DATABASE_URL: this.database.url,
      DATABASE_POOL_SIZE_MAX: '8',
      REDIS_URL: this.options.redis_url ?? testServices().redis_url,
      QUEUE_PREFIX: uniqueQueuePrefix(),
      LOG_LEVEL: 'info',
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
      ENCRYPTION_ACTIVE_KEY_ID: 'e2e',
      RATE_LIMIT_MAX: '1000000',
      HOST: '127.0.0.1',
      SHUTDOWN_GRACE_MS: '2000',
      ...this.options.environment,
    };
    const specs: Array<[string, string, Record<string, string>]> = [
      ['accounts-api', 'apps/accounts-api/src/main.ts', { PORT: String(accountsPort), BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_CLIENT_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_CLIENT_SECRET, TRUST_PROXY: 'true' }],
      ['transactions-api', 'apps/transactions-api/src/main.ts', { PORT: String(transactionsPort), TRUST_PROXY: 'true' }],
      ['outbox-relay', 'apps/outbox-relay/src/main.ts', {}],
      ['compliance-worker', 'apps/compliance-worker/src/main.ts', {}],
      ['ledger-worker', 'apps/ledger-worker/src/main.ts', {}],
      ['gateway', 'apps/gateway/src/main.ts', { PORT: String(gatewayPort), ACCOUNTS_API_URL: `http://127.0.0.1:${accountsPort}`, TRANSACTIONS_API_URL: `http://127.0.0.1:${transactionsPort}` }],
    ];
    for (const [name, entry, own] of specs) {
      const app = new AppProcess(name, entry, { ...shared, ...own });
      this.apps.set(name, app);
      app.start();
    }
    this.baseUrl = `http://127.0.0.1:${gatewayPort}`;
    await waitForHttpReady(`http://127.0.0.1:${accountsPort}`, this.app('accounts-api'));
    await waitForHttpReady(`http://127.0.0.1:${transactionsPort}`, this.app('transactions-api'));
    await waitForHttpReady(this.baseUrl, this.app('gateway'));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.values()].map((app) => app.stop()));
    await this.database.drop();
  }
}
