import { performance } from 'node:perf_hooks';
import { closedLoopGet, type ClosedLoopOptions, type ClosedLoopResult } from '../lib/closed-loop';
import type { Scenario } from '../lib/context';
import { cpuMsPer, platformCpuSnapshot, type CpuSnapshot } from '../lib/cpu';
import type { Platform } from '../lib/platform';
import { insertAccountHistory, insertAccounts } from '../lib/seed';

const WARM_UP_S = 1;

/** A closed-loop run with the CPU µs each process spent per answered request (results.json only). */
type MeasuredRun = ClosedLoopResult & { cpu_us_per_request: CpuSnapshot };

interface SizeRun {
  entries: number;
  seed_s: number;
  balance: MeasuredRun;
  statement: MeasuredRun;
}

/**
 * Reads through the base URL: `GET /v1/accounts/:id/balance` and the first statement page
 * (`GET /v1/accounts/:id/entries?limit=50`) of an account with a small and with a large history, each
 * closed-loop at the HTTP connection count. Also the balance straight from accounts-api, to show the
 * gateway's share. Histories are bulk-inserted with generate_series.
 */
export const reads: Scenario = {
  name: 'reads',
  title: 'Reads: balance and statement page at a small and a large history',
  async run(context) {
    const platform = await context.platform();
    platform.require('accounts-api', 'gateway');
    const { small_entries, large_entries } = context.settings.reads;
    const { http_connections: connections, http_duration_s: duration_s } = context.settings;
    const customer = await platform.createCustomer();
    const [small, large, counterpart] = (await insertAccounts(platform.pool, customer, 3)) as [
      string,
      string,
      string,
    ];
    const headers = { authorization: await platform.authorization() };

    // Untimed: the first requests pay for JIT, connection pools and cold caches.
    await closedLoopGet({
      url: `${platform.base_url}/v1/accounts/${small}/balance`,
      connections,
      duration_s: WARM_UP_S,
      headers,
    });
    await closedLoopGet({
      url: `${platform.base_url}/v1/accounts/${small}/entries?limit=50`,
      connections,
      duration_s: WARM_UP_S,
      headers,
    });

    const runs: SizeRun[] = [];
    for (const [account, entries] of [
      [small, small_entries],
      [large, large_entries],
    ] as const) {
      const seed_started_at = performance.now();
      await insertAccountHistory(platform.pool, account, counterpart, entries);
      const seed_s = (performance.now() - seed_started_at) / 1_000;
      context.log(`reads: ${entries} entries inserted in ${seed_s.toFixed(1)} s; measuring`);
      const balance = await measuredGet(platform, {
        url: `${platform.base_url}/v1/accounts/${account}/balance`,
        connections,
        duration_s,
        headers,
      });
      const statement = await measuredGet(platform, {
        url: `${platform.base_url}/v1/accounts/${account}/entries?limit=50`,
        connections,
        duration_s,
        headers,
      });
      for (const result of [balance, statement]) {
        if (result.non_2xx > 0 || result.errors > 0)
          throw new Error(
            `reads at ${entries} entries: ${result.non_2xx} non-2xx answers, ${result.errors} errors`,
          );
      }
      runs.push({ entries, seed_s, balance, statement });
    }
    const direct = await measuredGet(platform, {
      url: `${platform.app_urls['accounts-api']}/v1/accounts/${large}/balance`,
      connections,
      duration_s,
      headers,
    });

    const [smallRun, largeRun] = runs as [SizeRun, SizeRun];
    context.log(
      `reads: CPU µs per balance read at ${entriesLabel(large_entries)} entries: ${cpuLine(largeRun.balance)}; direct: ${cpuLine(direct)}`,
    );
    const { figures } = context;
    const scenario = this.name;
    const small_label = entriesLabel(small_entries);
    const large_label = entriesLabel(large_entries);
    figures.add({
      key: 'reads.balance.large',
      scenario,
      label: `balance reads/s at ${large_label} entries`,
      value: largeRun.balance.ok_per_second,
      unit: 'req/s',
      reference: 'fastify.rps',
      target: { description: '>= 0.3 x Fastify req/s', on: 'ratio', op: '>=', threshold: 0.3 },
    });
    figures.add({
      key: 'reads.balance.small',
      scenario,
      label: `balance reads/s at ${small_label} entries`,
      value: smallRun.balance.ok_per_second,
      unit: 'req/s',
      reference: 'fastify.rps',
    });
    figures.add({
      key: 'reads.balance.direct',
      scenario,
      label: 'balance reads/s, accounts-api direct',
      value: direct.ok_per_second,
      unit: 'req/s',
      reference: 'fastify.rps',
    });
    figures.add({
      key: 'reads.statement.small',
      scenario,
      label: `statement page at ${small_label}`,
      value: meanLatency(smallRun.statement, connections),
      unit: 'ms',
      reference: 'fastify.p50',
    });
    figures.add({
      key: 'reads.statement.large',
      scenario,
      label: `statement page at ${large_label}`,
      value: meanLatency(largeRun.statement, connections),
      unit: 'ms',
      reference: 'reads.statement.small',
      target: { description: `<= 1.5 x at ${small_label}`, on: 'ratio', op: '<=', threshold: 1.5 },
    });
    figures.add({
      key: 'reads.statement.rps',
      scenario,
      label: `statement pages/s at ${large_label}`,
      value: largeRun.statement.ok_per_second,
      unit: 'req/s',
      reference: 'fastify.rps',
    });
    return { connections, duration_s, runs, balance_direct: direct };
  },
};

async function measuredGet(platform: Platform, options: ClosedLoopOptions): Promise<MeasuredRun> {
  const before = platformCpuSnapshot(platform);
  const result = await closedLoopGet(options);
  const per_ms = cpuMsPer(before, platformCpuSnapshot(platform), result.ok + result.non_2xx);
  const cpu_us_per_request = Object.fromEntries(
    Object.entries(per_ms).map(([name, ms]) => [name, ms * 1_000]),
  );
  return { ...result, cpu_us_per_request };
}

/** The processes that spent at least 1 µs per request, most first. */
function cpuLine(run: MeasuredRun): string {
  return Object.entries(run.cpu_us_per_request)
    .filter(([, us]) => us >= 1)
    .sort(([, a], [, b]) => b - a)
    .map(([name, us]) => `${name} ${us.toFixed(0)}`)
    .join(', ');
}

/** Mean time per request by Little's law (connections / throughput): exact, where autocannon's percentiles are whole milliseconds. */
function meanLatency(result: ClosedLoopResult, connections: number): number {
  return (connections * 1_000) / result.ok_per_second;
}

function entriesLabel(entries: number): string {
  return entries >= 1_000_000 ? `${entries / 1_000_000}M` : `${entries / 1_000}k`;
}
