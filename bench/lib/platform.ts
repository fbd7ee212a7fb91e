import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { deleteQueueKeys } from '@ledgerline/queue/testing';
import {
  appEnvironment,
  appReadiness,
  freeHttpPorts,
  HTTP_APPS,
  PLATFORM_APPS,
  throwawaySecrets,
  upstreamUrls,
  type AppProcess,
  type HttpApp,
  type PlatformApp,
  type PlatformWiring,
} from '@ledgerline/processes';
import { startNginx, type Nginx } from './nginx';
import { benchProcess, PROFILE_DIRECTORY } from './processes';
import { resolveRedis } from './redis';
import type { BenchSettings } from './settings';

const ADMIN_CLIENT_ID = 'bench-admin';
const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** The platform as the benchmark runs it: every app (its bundle, see buildApps) as its own process, on spare ports. */
/** What serves the base URL: nginx, as in production (infra/nginx), or the Node gateway. */
export type GatewayChoice =
  { kind: 'nginx'; version: string; description: string } | { kind: 'node'; description: string };

export interface Platform {
  /** The one base URL clients use: nginx or the Node gateway (see GatewayChoice). */
  base_url: string;
  /** nginx's processes when it serves the base URL, for CPU accounting. */
  nginx: Nginx | undefined;
  /** Each HTTP app's own URL, to tell the gateway's share of a figure from the service's. */
  app_urls: Partial<Record<PlatformApp, string>>;
  processes: ReadonlyMap<PlatformApp, AppProcess>;
  /** A small pool on the platform's database, for seeding and reading results back. */
  pool: pg.Pool;
  queue_prefix: string;
  /** Throws naming an app that is no longer running. */
  require(...apps: PlatformApp[]): void;
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
  /** Run every process with `--cpu-prof`, profiles written to bench/tmp/profiles/<app>/ when they stop. */
  cpu_profile: boolean;
  gateway: GatewayChoice;
}

export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const redis = await resolveRedis(process.env['REDIS_URL']);
  options.defer(redis.stop);
  const queue_prefix = `bench-${randomBytes(4).toString('hex')}`;
  options.defer(async () => void (await deleteQueueKeys(redis.url, queue_prefix)));

  const ports = await freeHttpPorts();
  const urlOf = (app: HttpApp) => `http://127.0.0.1:${ports[app]}`;
  const admin_secret = randomBytes(32).toString('base64url');
  const secrets = throwawaySecrets('bench');
  const wiring: PlatformWiring = {
    token_signing: secrets.token_signing,
    ports,
    admin_client_id: ADMIN_CLIENT_ID,
    admin_client_secret: admin_secret,
    shared: {
      DATABASE_URL: options.database_url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: queue_prefix,
      LOG_LEVEL: 'info',
      ...secrets.shared,
      // The benchmark is one client sending thousands of requests a second; the limiter is not what it measures.
      RATE_LIMIT_MAX: '1000000',
      // Every account sends many transfers within the hour across the scenarios, which the velocity rule
      // would hold for review; the rule is still evaluated (and costs what it costs) on every transfer.
      COMPLIANCE_VELOCITY_TRANSFERS_MAX: '100000000',
    },
  };

  const processes = new Map<PlatformApp, AppProcess>();
  options.defer(async () => {
    await Promise.all([...processes.values()].map((process_) => process_.close()));
  });
  for (const app of PLATFORM_APPS) {
    const process_ = benchProcess(app, {
      environment: appEnvironment(app, wiring),
      ready: appReadiness(app, ports),
      cpu_profile: options.cpu_profile,
    });
    processes.set(app, process_);
    process_.start();
  }
  options.log(
    `platform: starting ${PLATFORM_APPS.join(', ')} (queue prefix ${queue_prefix}, Redis ${redis.description})`,
  );
  await Promise.all(
    PLATFORM_APPS.map(async (app) => {
      await (processes.get(app) as AppProcess).waitReady({
        timeout_ms: options.settings.ready_timeout_ms,
        interval_ms: 200,
      });
      options.log(`platform: ${app} up`);
    }),
  );
  options.log('platform: ready');

  const pool = new pg.Pool({ connectionString: options.database_url, max: 4 });
  options.defer(() => pool.end());
  let nginx: Nginx | undefined;
  if (options.gateway.kind === 'nginx') {
    nginx = await startNginx({
      upstreams: upstreamUrls(ports),
      directory: path.join(PROFILE_DIRECTORY, '..', 'nginx'),
      version: options.gateway.version,
    });
    options.defer(nginx.stop);
    options.log(`platform: ${nginx.version} serves the base URL ${nginx.url}`);
  }
  const base_url = nginx?.url ?? urlOf('gateway');
  const tokens = tokenSource(base_url, ADMIN_CLIENT_ID, admin_secret);
  const app_urls: Partial<Record<PlatformApp, string>> = {};
  for (const app of HTTP_APPS) app_urls[app] = urlOf(app);

  return {
    base_url,
    nginx,
    app_urls,
    processes,
    pool,
    queue_prefix,
    require(...apps) {
      for (const app of apps) {
        const process_ = processes.get(app) as AppProcess;
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
