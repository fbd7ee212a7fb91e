import path from 'node:path';
import {
  appEnvironment,
  AppProcess,
  appReadiness,
  freeHttpPorts,
  PLATFORM_APPS,
  throwawaySecrets,
  waitUntil,
  type PlatformApp,
  type PlatformWiring,
} from '@ledgerline/processes';
import { tracked, type ChildRegistry } from './guardian';

/** A crashed app comes back after this long, as an orchestrator's restart policy would bring it back. */
const RESTART_DELAY_MS = 1_000;

export interface PlatformOptions {
  database_url: string;
  redis_url: string;
  log_directory: string;
  admin_client_id: string;
  admin_client_secret: string;
  registry: ChildRegistry;
}

/**
 * Every app of the platform, started with the environment a deployment would give it. Each is
 * supervised: an exit the chaos run did not cause (the app crashed by itself) is counted and the app
 * restarted, because that is what a deployment would do, and the run must tell such crashes apart
 * from the faults it injects. Each runs in its own process group, so that a Ctrl-C in the terminal
 * reaches only the runner, which stops everything in order; the guardian learns every pid.
 */
export class ChaosPlatform {
  readonly apps = new Map<PlatformApp, AppProcess>();
  baseUrl = '';

  async start(options: PlatformOptions): Promise<void> {
    const ports = await freeHttpPorts();
    const secrets = throwawaySecrets('chaos');
    const wiring: PlatformWiring = {
      token_signing: secrets.token_signing,
      ports,
      admin_client_id: options.admin_client_id,
      admin_client_secret: options.admin_client_secret,
      shared: {
        DATABASE_URL: options.database_url,
        DATABASE_POOL_SIZE_MAX: '8',
        REDIS_URL: options.redis_url,
        QUEUE_PREFIX: 'chaos',
        LOG_LEVEL: 'info',
        ...secrets.shared,
        // Longer than the longest run, so that no client has to log in again while the accounts API is down.
        JWT_TTL_SECONDS: '86400',
        RATE_LIMIT_MAX: '1000000',
        // Thousands of transfers a minute among eight accounts: the velocity rule (more than 20 out of one
        // account in an hour) would hold nearly all for a review nobody gives, and a held transfer is never
        // final. The rule is still evaluated on every transfer.
        COMPLIANCE_VELOCITY_TRANSFERS_MAX: '100000000',
        // The clients send 0.01-400.00: from 390.00 about one transfer in forty is held as a large amount,
        // for the chaos officer to decide through the compliance API while the faults go on.
        COMPLIANCE_LARGE_AMOUNT_MIN: '390',
        SHUTDOWN_GRACE_MS: '2000',
        // The gateway's, below the clients' own timeout, so a hung upstream is answered with a 5xx they can retry.
        UPSTREAM_TIMEOUT_MS: '8000',
      },
    };
    for (const name of PLATFORM_APPS) {
      const app = new AppProcess(name, {
        environment: appEnvironment(name, wiring),
        log_file: path.join(options.log_directory, `${name}.log`),
        ready: appReadiness(name, ports),
        detached: true,
        supervise: { restart_delay_ms: () => RESTART_DELAY_MS },
        on_event: tracked(options.registry, 'node'),
      });
      this.apps.set(name, app);
      app.start();
    }
    this.baseUrl = `http://127.0.0.1:${ports.gateway}`;
  }

  app(name: PlatformApp): AppProcess {
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
    return Object.fromEntries(
      [...this.apps.values()]
        .filter((app) => app.unplanned_exits > 0)
        .map((app) => [app.name, app.unplanned_exits]),
    );
  }

  /** SIGKILL to every app; nothing starts them again, not even a fault's restart racing the clean-up. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.apps.values()].map((app) => app.close({ signal: 'SIGKILL' })));
  }
}
