import { setTimeout as sleep } from 'node:timers/promises';
import { PLATFORM_APPS, type PlatformApp, type PrivateRedis } from '@ledgerline/processes';
import type { ChaosPlatform } from './apps';
import type { PostgresCluster } from './cluster';
import type { Random } from './random';

export type FaultKind = `kill:${PlatformApp}` | 'restart:redis' | 'restart:postgres';

export const FAULT_KINDS: readonly FaultKind[] = [
  ...PLATFORM_APPS.map((name) => `kill:${name}` as const),
  'restart:redis',
  'restart:postgres',
];

export interface FaultTargets {
  platform: ChaosPlatform;
  redis: PrivateRedis;
  postgres: PostgresCluster;
}

export interface FaultOptions {
  /** The quiet time between the end of one fault and the start of the next is drawn from this range. */
  interval_ms_min: number;
  interval_ms_max: number;
  log(line: string): void;
}

/**
 * Injects one fault at a time at seeded random intervals. Kinds come from a shuffled bag holding each
 * kind once, refilled when empty, so that the first eight faults of a run are one of each kind
 * while the order stays random.
 * An app is killed with SIGKILL and started again after a short outage; Redis is killed and restarted
 * on the same data; Postgres is stopped with `-m immediate` and started on the same data directory.
 */
export class FaultInjector {
  readonly counts = new Map<FaultKind, number>();
  private bag: FaultKind[] = [];

  constructor(
    private readonly targets: FaultTargets,
    private readonly random: Random,
    private readonly options: FaultOptions,
  ) {}

  /** Injects faults until `until_ms`; the last fault is always repaired before this returns. */
  async run(until_ms: number): Promise<void> {
    for (;;) {
      const interval_ms = this.random.integer(this.options.interval_ms_min, this.options.interval_ms_max);
      if (Date.now() + interval_ms >= until_ms) return;
      await sleep(interval_ms);
      await this.inject(this.nextKind());
    }
  }

  private nextKind(): FaultKind {
    if (this.bag.length === 0) this.bag = this.random.shuffled(FAULT_KINDS);
    return this.bag.pop() as FaultKind;
  }

  private async inject(kind: FaultKind): Promise<void> {
    const started_at = Date.now();
    if (kind === 'restart:redis') {
      const down_ms = this.random.integer(1_000, 3_000);
      await this.targets.redis.kill();
      await sleep(down_ms);
      await this.targets.redis.start();
      this.options.log(`fault ${kind}: down ${down_ms} ms, back after ${Date.now() - started_at} ms`);
    } else if (kind === 'restart:postgres') {
      const down_ms = this.random.integer(1_000, 3_000);
      await this.targets.postgres.stopImmediately();
      await sleep(down_ms);
      await this.targets.postgres.start();
      this.options.log(`fault ${kind}: down ${down_ms} ms, back after ${Date.now() - started_at} ms`);
    } else {
      const app = this.targets.platform.app(kind.slice('kill:'.length) as PlatformApp);
      const down_ms = this.random.integer(200, 2_000);
      await app.kill();
      await sleep(down_ms);
      // Not waiting for it to be ready: the next fault may well hit a platform still recovering.
      app.start();
      this.options.log(`fault ${kind}: down ${down_ms} ms, restarted`);
    }
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
}
