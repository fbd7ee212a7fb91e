import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { deleteQueueKeys } from '@ledgerline/queue/testing';
import { ScenarioSkipped } from './figures';
import { BenchProcess, PROFILE_DIRECTORY, WORKSPACE_ROOT, freePort, waitForReady } from './processes';
import { resolveRedis } from './redis';
import type { BenchSettings } from './settings';

export const APPS = [
  'accounts-api',
  'transactions-api',
  'outbox-relay',
  'compliance-worker',
  'ledger-worker',
  'gateway',
] as const;
export type AppName = (typeof APPS)[number];
const HTTP_APPS: ReadonlySet<AppName> = new Set(['accounts-api', 'transactions-api', 'gateway']);

const ADMIN_CLIENT_ID = 'bench-admin';
const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Workers have no HTTP endpoint; one that is still running this long after its start counts as up. */
const WORKER_SETTLE_MS = 3_000;

/** The platform as the benchmark runs it: every app that exists, as its own process, on spare ports. */
export interface Platform {
  /** The gateway: the one base URL clients use. */
  base_url: string;
  /** Each HTTP app's own URL, to tell the gateway's share of a figure from the service's. */
  app_urls: Partial<Record<AppName, string>>;
  processes: ReadonlyMap<AppName, BenchProcess>;
  /** A small pool on the platform's database, for seeding and reading results back. */
  pool: pg.Pool;
  queue_prefix: string;
  /** Throws ScenarioSkipped naming the apps that do not exist (yet) in this checkout, an Error if one died. */
  require(...apps: AppName[]): void;
  /** `Bearer <token>` of a `service` client (the role of a bank's backend), refreshed before it expires. */
  authorization(): Promise<string>;
  /** Creates a customer through the API, so its personal data is encrypted as in production. */
  createCustomer(): Promise<string>;
}

export interface StartPlatformOptions {
  database_url: string;
  settings: BenchSettings;
  log(message: string): void;
  defer(cleanup: () => Promise<void>): void;
  /** Run every process with `--cpu-prof`, profiles written to bench/tmp/profiles when they stop. */
  cpu_profile: boolean;
}

export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const present = APPS.filter((app) => existsSync(entryOf(app)));
  const missing = APPS.filter((app) => !present.includes(app));
  if (!present.includes('accounts-api') || !present.includes('gateway')) {
    throw new ScenarioSkipped(
      `the platform cannot start without ${missing.filter((app) => app === 'accounts-api' || app === 'gateway').join(' and ')} (apps/<name>/src/main.ts missing)`,
    );
  }
  const redis = await resolveRedis(process.env['REDIS_URL']);
  options.defer(redis.stop);
  const queue_prefix = `bench-${randomBytes(4).toString('hex')}`;
  options.defer(async () => void (await deleteQueueKeys(redis.url, queue_prefix)));

  // Every HTTP app gets a spare port, absent ones too: the gateway then points at a port nobody listens
  // on rather than at whatever another checkout runs on the default port.
  const ports = new Map<AppName, number>();
  for (const app of HTTP_APPS) ports.set(app, await freePort());
  const urlOf = (app: AppName) => `http://127.0.0.1:${ports.get(app)}`;
  const admin_secret = randomBytes(32).toString('base64url');
  const shared: Record<string, string> = {
    DATABASE_URL: options.database_url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: queue_prefix,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    JWT_ALGORITHM: 'HS256',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ENCRYPTION_ACTIVE_KEY_ID: 'bench',
    // The benchmark is one client sending thousands of requests a second; the limiter is not what it measures.
    RATE_LIMIT_MAX: '1000000',
    TRUST_PROXY: 'true',
  };
  const environmentOf = (app: AppName): Record<string, string> => {
    const environment = { ...shared };
    if (HTTP_APPS.has(app)) environment['PORT'] = String(ports.get(app));
    if (app === 'accounts-api') {
      environment['BOOTSTRAP_ADMIN_CLIENT_ID'] = ADMIN_CLIENT_ID;
      environment['BOOTSTRAP_ADMIN_CLIENT_SECRET'] = admin_secret;
    }
    if (app === 'gateway') {
      environment['ACCOUNTS_API_URL'] = urlOf('accounts-api');
      environment['TRANSACTIONS_API_URL'] = urlOf('transactions-api');
    }
    return environment;
  };

  const processes = new Map<AppName, BenchProcess>();
  options.defer(async () => {
    await Promise.all([...processes.values()].map((process_) => process_.stop()));
  });
  for (const app of present) {
    const node_options = options.cpu_profile
      ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIRECTORY}`, `--cpu-prof-name=${app}.cpuprofile`]
      : [];
    const process_ = new BenchProcess(
      app,
      path.relative(WORKSPACE_ROOT, entryOf(app)),
      environmentOf(app),
      node_options,
    );
    processes.set(app, process_);
    process_.start();
  }
  options.log(
    `platform: starting ${present.join(', ')} (queue prefix ${queue_prefix}, Redis ${redis.description})`,
  );
  await Promise.all(
    present.map(async (app) => {
      const process_ = processes.get(app) as BenchProcess;
      // The gateway's /readyz asks its upstreams, an absent one included; the upstreams are awaited on their own.
      if (app === 'gateway')
        await waitForReady(process_, urlOf(app), options.settings.ready_timeout_ms, '/healthz');
      else if (HTTP_APPS.has(app))
        await waitForReady(process_, urlOf(app), options.settings.ready_timeout_ms);
      else await sleep(WORKER_SETTLE_MS);
      if (!process_.running) throw new Error(`${app} exited after its start:\n${process_.notableOutput()}`);
      options.log(`platform: ${app} up`);
    }),
  );
  options.log('platform: ready');

  const pool = new pg.Pool({ connectionString: options.database_url, max: 4 });
  options.defer(() => pool.end());
  const base_url = urlOf('gateway');
  const tokens = tokenSource(base_url, ADMIN_CLIENT_ID, admin_secret);
  const app_urls: Partial<Record<AppName, string>> = {};
  for (const app of present) if (HTTP_APPS.has(app)) app_urls[app] = urlOf(app);

  return {
    base_url,
    app_urls,
    processes,
    pool,
    queue_prefix,
    require(...apps) {
      const absent = apps.filter((app) => !processes.has(app));
      if (absent.length > 0)
        throw new ScenarioSkipped(
          `${absent.join(', ')} not in this checkout yet (apps/<name>/src/main.ts missing)`,
        );
      for (const app of apps) {
        const process_ = processes.get(app) as BenchProcess;
        if (!process_.running) throw new Error(`${app} is no longer running:\n${process_.notableOutput()}`);
      }
    },
    authorization: () => tokens.service(),
    async createCustomer() {
      const response = await fetch(`${base_url}/v1/customers`, {
        method: 'POST',
        headers: { authorization: await tokens.service(), 'content-type': 'application/json' },
        body: JSON.stringify({ full_name: 'Bench Customer', country: 'NL' }),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 201)
        throw new Error(`POST /v1/customers answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    },
  };
}

function entryOf(app: AppName): string {
  return path.join(WORKSPACE_ROOT, 'apps', app, 'src', 'main.ts');
}

interface Token {
  header: string;
  expires_at: number;
}

/** Issues tokens the way a client does: the admin creates a `service` client, which then logs in. */
function tokenSource(base_url: string, admin_client_id: string, admin_secret: string) {
  let service: { client_id: string; client_secret: string } | undefined;
  let current: Token | undefined;

  async function issue(client_id: string, client_secret: string): Promise<Token> {
    const response = await post(base_url, '/v1/auth/token', { client_id, client_secret });
    const body = (await response.json()) as { access_token: string; expires_in: number };
    return { header: `Bearer ${body.access_token}`, expires_at: Date.now() + body.expires_in * 1_000 };
  }

  return {
    async service(): Promise<string> {
      if (current && current.expires_at - Date.now() > TOKEN_REFRESH_MARGIN_MS) return current.header;
      if (!service) {
        const admin = await issue(admin_client_id, admin_secret);
        const response = await post(
          base_url,
          '/v1/clients',
          { name: 'bench', role: 'service' },
          admin.header,
        );
        service = (await response.json()) as { client_id: string; client_secret: string };
      }
      current = await issue(service.client_id, service.client_secret);
      return current.header;
    },
  };
}

async function post(
  base_url: string,
  route: string,
  body: unknown,
  authorization?: string,
): Promise<Response> {
  const response = await fetch(`${base_url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`POST ${route} answered ${response.status}: ${await response.text()}`);
  return response;
}
