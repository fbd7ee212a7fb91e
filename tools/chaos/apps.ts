import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildRegistry } from './guardian';
import { freePort, waitUntil, WORKSPACE_ROOT } from './support';

export const APP_NAMES = ['gateway', 'accounts-api', 'transactions-api', 'outbox-relay', 'compliance-worker', 'ledger-worker'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** A crashed app comes back after this long, as an orchestrator's restart policy would bring it back. */
const RESTART_DELAY_MS = 1_000;
const KILL_TIMEOUT_MS = 10_000;

interface AppSpec {
  name: AppName;
  entry: string;
  environment: Record<string, string>;
  /** HTTP apps are ready when GET /readyz answers 200. */
  port?: number;
  /** Workers are ready once they log this message. */
  ready_message?: string;
}

/**
 * One app as a real OS process whose output goes to a log file. It is supervised: an exit the chaos
 * run did not cause (the app crashed by itself) is counted and the app restarted, because that is
 * what a deployment would do, and the run must tell such crashes apart from the faults it injects.
 */
class ChaosApp {
  unplanned_exits = 0;
  private child: ChildProcess | undefined;
  private ready = false;
  private expecting_exit = false;
  private supervising = true;

  constructor(
    private readonly spec: AppSpec,
    private readonly log: WriteStream,
    private readonly registry: ChildRegistry,
  ) {}

  get name(): AppName {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    // After stopSupervising() nothing starts it again, not even a fault's restart racing the clean-up.
    if (this.running || !this.supervising) return;
    this.ready = false;
    this.expecting_exit = false;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(WORKSPACE_ROOT, this.spec.entry)], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...this.spec.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches only the runner, which stops everything in order.
      detached: true,
    });
    this.child = child;
    this.registry.started(child.pid, 'node');
    this.note(`started pid ${child.pid}`);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        // A killed child's last lines can arrive after stopAll() closed the log: drop them.
        if (!this.log.writableEnded) this.log.write(`${line}\n`);
        if (this.spec.ready_message && line.includes(`"msg":"${this.spec.ready_message}"`)) this.ready = true;
      });
    }
    child.once('exit', (code, signal) => {
      this.registry.exited(child.pid);
      if (this.child !== child) return;
      if (this.expecting_exit || !this.supervising) return;
      this.unplanned_exits += 1;
      this.note(`exited by itself (${signal ?? `code ${code}`}); restarting in ${RESTART_DELAY_MS} ms`);
      setTimeout(() => {
        if (this.supervising && this.child === child) this.start();
      }, RESTART_DELAY_MS).unref();
    });
  }

  /** SIGKILL: the app gets no chance to finish anything, like a crashed machine. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expecting_exit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(KILL_TIMEOUT_MS)]);
    this.note('killed (SIGKILL)');
  }

  async stopSupervising(): Promise<void> {
    this.supervising = false;
    await this.kill();
  }

  async isReady(): Promise<boolean> {
    if (!this.running) return false;
    if (this.spec.port === undefined) return this.ready;
    const response = await fetch(`http://127.0.0.1:${this.spec.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  }

  private note(message: string): void {
    if (!this.log.writableEnded) this.log.write(`${JSON.stringify({ chaos: message, time: new Date().toISOString() })}\n`);
  }
}

export interface PlatformOptions {
  database_url: string;
  redis_url: string;
  log_directory: string;
  admin_client_id: string;
  admin_client_secret: string;
  registry: ChildRegistry;
}

/** Every app of the platform, started with the environment a deployment would give it. */
export class ChaosPlatform {
  readonly apps = new Map<AppName, ChaosApp>();
  private readonly logs: WriteStream[] = [];
  baseUrl = '';

  async start(options: PlatformOptions): Promise<void> {
    const [gatewayPort, accountsPort, transactionsPort] = [await freePort(), await freePort(), await freePort()];
    const shared: Record<string, string> = {
      DATABASE_URL: options.database_url,
      DATABASE_POOL_SIZE_MAX: '8',
      REDIS_URL: options.redis_url,
      QUEUE_PREFIX: 'chaos',
      LOG_LEVEL: 'info',
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      // Longer than the longest run, so that no client has to log in again while the accounts API is down.
      JWT_TTL_SECONDS: '86400',
      ENCRYPTION_KEYS: `chaos:${randomBytes(32).toString('base64')}`,
      ENCRYPTION_ACTIVE_KEY_ID: 'chaos',
      RATE_LIMIT_MAX: '1000000',
      HOST: '127.0.0.1',
      SHUTDOWN_GRACE_MS: '2000',
    };
    const specs: AppSpec[] = [
      {
        name: 'accounts-api',
        entry: 'apps/accounts-api/src/main.ts',
        port: accountsPort,
        environment: {
          PORT: String(accountsPort),
          TRUST_PROXY: 'true',
          BOOTSTRAP_ADMIN_CLIENT_ID: options.admin_client_id,
          BOOTSTRAP_ADMIN_CLIENT_SECRET: options.admin_client_secret,
        },
      },
      { name: 'transactions-api', entry: 'apps/transactions-api/src/main.ts', port: transactionsPort, environment: { PORT: String(transactionsPort), TRUST_PROXY: 'true' } },
      { name: 'outbox-relay', entry: 'apps/outbox-relay/src/main.ts', ready_message: 'outbox relay started', environment: {} },
      { name: 'compliance-worker', entry: 'apps/compliance-worker/src/main.ts', ready_message: 'compliance worker started', environment: {} },
      { name: 'ledger-worker', entry: 'apps/ledger-worker/src/main.ts', ready_message: 'ledger worker started', environment: {} },
      {
        name: 'gateway',
        entry: 'apps/gateway/src/main.ts',
        port: gatewayPort,
        environment: {
          PORT: String(gatewayPort),
          ACCOUNTS_API_URL: `http://127.0.0.1:${accountsPort}`,
          TRANSACTIONS_API_URL: `http://127.0.0.1:${transactionsPort}`,
          // Below the clients' own timeout, so a hung upstream is answered with a 5xx they can retry.
          UPSTREAM_TIMEOUT_MS: '8000',
        },
      },
    ];
    for (const spec of specs) {
      const log = createWriteStream(path.join(options.log_directory, `${spec.name}.log`), { flags: 'a' });
      this.logs.push(log);
      const app = new ChaosApp({ ...spec, environment: { ...shared, ...spec.environment } }, log, options.registry);
      this.apps.set(spec.name, app);
      app.start();
    }
    this.baseUrl = `http://127.0.0.1:${gatewayPort}`;
  }

  app(name: AppName): ChaosApp {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  /** Waits until every app is up and ready (restarting any that is down). */
  async waitReady(timeout_ms: number): Promise<void> {
    for (const app of this.apps.values()) {
      if (!app.running) app.start();
      await waitUntil(() => app.isReady(), { timeout_ms, interval_ms: 200, what: `${app.name} to be ready` });
    }
  }

  unplannedExits(): Record<string, number> {
    return Object.fromEntries([...this.apps.values()].filter((app) => app.unplanned_exits > 0).map((app) => [app.name, app.unplanned_exits]));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.apps.values()].map((app) => app.stopSupervising()));
    await Promise.all(this.logs.map((log) => new Promise<void>((resolve) => log.end(resolve))));
  }
}
