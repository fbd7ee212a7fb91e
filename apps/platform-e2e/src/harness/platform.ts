import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { deleteQueueKeys } from '@ledgerline/queue/testing';
import {
  appEnvironment,
  AppProcess,
  appReadiness,
  freeHttpPorts,
  freeOpsPorts,
  HTTP_APPS,
  PLATFORM_APPS,
  throwawaySecrets,
  type BackgroundApp,
  type PlatformApp,
  type PlatformWiring,
} from '@ledgerline/processes';

export const ADMIN_CLIENT_ID = 'e2e-admin';
export const ADMIN_CLIENT_SECRET = randomBytes(24).toString('base64url');

const READY_TIMEOUT_MS = 150_000;
/** Enough output to find one request's log lines in after a test (they are searched for request ids). */
const OUTPUT_LINES = 5_000;

export interface PlatformOptions {
  /** Defaults to the test run's Redis. */
  redis_url?: string;
  /** Extra variables for every process (e.g. smaller batch sizes). */
  environment?: Record<string, string>;
}

/**
 * The whole platform as real processes (the bundles the e2e global setup built) on a database and
 * queue prefix of the test's own: both APIs, the relay, both workers and the gateway. Tests talk to
 * `baseUrl` like a client, and SIGKILL and restart apps through `app(name)`.
 */
export class Platform {
  readonly apps = new Map<PlatformApp, AppProcess>();
  baseUrl = '';
  /** Where each background app (relay, workers) serves /healthz, /readyz and /metrics. */
  opsUrls: Partial<Record<BackgroundApp, string>> = {};
  database!: TestDatabase;
  /** The BullMQ prefix every app of this platform uses; its keys are deleted by `stop`. */
  readonly queue_prefix = uniqueQueuePrefix();

  private constructor(private readonly options: PlatformOptions) {}

  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const platform = new Platform(options);
    await platform.boot();
    return platform;
  }

  app(name: PlatformApp): AppProcess {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  private async boot(): Promise<void> {
    this.database = await createTestDatabase();
    const ports = await freeHttpPorts();
    const ops_ports = await freeOpsPorts();
    for (const [app, port] of Object.entries(ops_ports))
      this.opsUrls[app as BackgroundApp] = `http://127.0.0.1:${port}`;
    const secrets = throwawaySecrets('e2e');
    const wiring: PlatformWiring = {
      token_signing: secrets.token_signing,
      ports,
      ops_ports,
      admin_client_id: ADMIN_CLIENT_ID,
      admin_client_secret: ADMIN_CLIENT_SECRET,
      shared: {
        DATABASE_URL: this.database.url,
        DATABASE_POOL_SIZE_MAX: '8',
        REDIS_URL: this.options.redis_url ?? testServices().redis_url,
        QUEUE_PREFIX: this.queue_prefix,
        LOG_LEVEL: 'info',
        ...secrets.shared,
        RATE_LIMIT_MAX: '1000000',
        SHUTDOWN_GRACE_MS: '2000',
        // The suites move money among a handful of accounts hundreds of times a minute, which the velocity
        // rule (more than 20 out of one account in an hour) would hold for review; it still runs on each.
        COMPLIANCE_VELOCITY_TRANSFERS_MAX: '100000000',
        ...this.options.environment,
      },
    };
    for (const name of PLATFORM_APPS) {
      const app: AppProcess = new AppProcess(name, {
        environment: appEnvironment(name, wiring),
        ready: appReadiness(name, ports),
        output_lines: OUTPUT_LINES,
        // No test expects an app to die by itself: say so where a failure's cause is looked for first.
        on_event: (event) => {
          if (event.kind === 'exited' && !event.planned)
            process.stderr.write(
              `platform-e2e: ${name} exited by itself (${event.signal ?? `code ${event.code}`}):\n${app.notableOutput(20)}\n`,
            );
        },
      });
      this.apps.set(name, app);
      app.start();
    }
    this.baseUrl = `http://127.0.0.1:${ports.gateway}`;
    for (const name of HTTP_APPS) await this.app(name).waitReady({ timeout_ms: READY_TIMEOUT_MS });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.values()].map((app) => app.close()));
    // A Redis of the test's own (options.redis_url) goes away with the test; the shared one keeps no
    // keys of ours.
    if (this.options.redis_url === undefined)
      await deleteQueueKeys(testServices().redis_url, this.queue_prefix);
    await this.database.drop();
  }
}
