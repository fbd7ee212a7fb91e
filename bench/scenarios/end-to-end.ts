import { PLATFORM_APPS, type MemorySample } from '@ledgerline/processes';
import type { BenchContext, Scenario } from '../lib/context';
import { cpuMsPer, platformCpuSnapshot } from '../lib/cpu';
import { closedLoop } from '../lib/open-loop';
import type { Platform } from '../lib/platform';
import { insertAccounts, type TransferPair } from '../lib/seed';
import {
  acceptedIdCollector,
  postingStats,
  transferRequest,
  waitForFinal,
  waitForQuiet,
} from '../lib/transfers';
import { roundRobinPairs, type Distribution } from '../lib/workload';

const REQUEST_TIMEOUT_MS = 10_000;
/** Well inside the platform's token refresh margin, so requests never carry an expired token. */
const TOKEN_RENEWAL_INTERVAL_MS = 30_000;
const FIRST_POSTING_TIMEOUT_S = 60;
const MEMORY_SAMPLE_INTERVAL_MS = 500;

interface MemoryCheckpoint {
  postings: number;
  ledger_worker: MemorySample;
}

/**
 * The skewed runs after the main one. Each is bracketed by uniform runs of its size (same warm processes,
 * new accounts each time) and compared with their mean: this machine's speed drifts by tens of percent
 * within minutes, so a single baseline run before both skewed runs favoured whichever ran first.
 */
const SKEWED_RUNS = [
  { key: 'e2e.hot.rate', destinations: 'hot', label: 'hot account (half the transfers to one account)' },
  { key: 'e2e.zipf.rate', destinations: 'zipf', label: 'Zipf s=1 receivers' },
] as const;

/**
 * N transfers among 10,000 accounts through the whole pipeline (gateway, transactions-api, outbox relay,
 * compliance worker, ledger worker), accepted as fast as the API takes them at the HTTP connection
 * count, then followed to a final status: posted transfers/s from the first acceptance to the last
 * posting, and accept-to-posted p50/p99 at that saturation. The ledger worker's RSS after a tenth and
 * after all of the postings shows whether it grows with work done under the whole pipeline's load
 * (informational: ledger-worker-memory carries the growth target, from 100,000 to 1,000,000 postings).
 * Then shorter runs of the same pipeline with skewed account choice: half of all transfers to one
 * account, and receivers drawn by Zipf (s = 1); their posted/s against the mean of the uniform runs of
 * their size just before and just after each.
 */
export const endToEnd: Scenario = {
  name: 'end-to-end',
  title: 'End to end: N transfers from accept to posted',
  async run(context) {
    const platform = await context.platform();
    platform.require(...PLATFORM_APPS);
    const { accounts: account_count, transfers, skewed_transfers, deadline_s } = context.settings.end_to_end;
    const accounts = await insertAccounts(platform.pool, await platform.createCustomer(), account_count);
    const pairs = roundRobinPairs(accounts, transfers + 1, 11);

    // Leftovers of the accept scenario (requests its client gave up on) must not slow this run.
    await waitForQuiet(platform.pool, context.settings.drain_deadline_s);
    // One transfer first, followed to the end: proves the pipeline is wired before anything is timed.
    const first = await accept(platform, context, pairs.slice(0, 1), FIRST_POSTING_TIMEOUT_S);
    if ((await waitForFinal(platform.pool, first.ids, FIRST_POSTING_TIMEOUT_S)) < 1) {
      throw new Error(
        `the first transfer did not reach a final status within ${FIRST_POSTING_TIMEOUT_S} s: is the pipeline running?`,
      );
    }

    context.log(
      `end-to-end: ${transfers} transfers among ${account_count} accounts, ${context.settings.http_connections} connections`,
    );
    const database_before = await databaseActivity(platform);
    const cpu_before = platformCpuSnapshot(platform);
    const sampler = memorySampler(platform);
    const { accepted, final, stats } = await throughPipeline(platform, context, pairs.slice(1), deadline_s);
    const checkpoints = await sampler.checkpoints(accepted.ids);
    const database = perTransfer(database_before, await databaseActivity(platform), stats.posted);
    const cpu_ms = cpuMsPer(cpu_before, platformCpuSnapshot(platform), stats.posted);
    context.log(
      `end-to-end: per posted transfer, Postgres saw ${database.commits.toFixed(1)} commits, ${database.rollbacks.toFixed(2)} rollbacks, ${database.rows_inserted.toFixed(1)} rows inserted, ${database.rows_updated.toFixed(1)} updated`,
    );
    context.log(
      `end-to-end: CPU ms per posted transfer: ${Object.entries(cpu_ms)
        .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
        .join(', ')}`,
    );

    const { figures } = context;
    const scenario = this.name;
    figures.add({
      key: 'e2e.rate',
      scenario,
      label: 'end-to-end posted transfers/s',
      value: stats.posted_per_second,
      unit: 'transfers/s',
      reference: 'pgbench.tps',
      target: { description: '>= 1.0 x pgbench tps', on: 'ratio', op: '>=', threshold: 1 },
    });
    figures.add({
      key: 'e2e.accept_rate',
      scenario,
      label: 'end-to-end accepted/s (closed loop)',
      value: accepted.load.ok_per_second,
      unit: 'req/s',
      reference: 'pgbench.tps',
    });
    figures.add({
      key: 'e2e.p50',
      scenario,
      label: 'accept-to-posted p50 at saturation',
      value: stats.accept_to_posted_p50_ms,
      unit: 'ms',
      reference: 'pgbench.latency',
    });
    figures.add({
      key: 'e2e.p99',
      scenario,
      label: 'accept-to-posted p99 at saturation',
      value: stats.accept_to_posted_p99_ms,
      unit: 'ms',
      reference: 'pgbench.latency',
    });
    const [early, late] = checkpoints;
    if (early && late) {
      figures.add({
        key: 'e2e.worker_rss.early',
        scenario,
        label: `ledger-worker RSS after ${early.postings} postings`,
        value: early.ledger_worker.rss_bytes / 2 ** 20,
        unit: 'MB',
      });
      figures.add({
        key: 'e2e.worker_rss.late',
        scenario,
        label: `ledger-worker RSS after ${late.postings} postings`,
        value: late.ledger_worker.rss_bytes / 2 ** 20,
        unit: 'MB',
        // Informational: the growth target (100,000 to 1,000,000 postings) is ledger-worker-memory's.
        reference: 'e2e.worker_rss.early',
      });
    }
    const shortRun = async (destinations: Distribution, label: string) => {
      const run_accounts = await insertAccounts(
        platform.pool,
        await platform.createCustomer(),
        account_count,
      );
      const run_pairs = roundRobinPairs(run_accounts, skewed_transfers, 13, destinations);
      context.log(`end-to-end: ${run_pairs.length} transfers, ${label}`);
      return throughPipeline(platform, context, run_pairs, deadline_s);
    };
    const short_runs: Array<{ name: string } & PipelineRun> = [];
    let baselines = 0;
    const uniformBaseline = async () => {
      baselines += 1;
      const index = baselines;
      const run = await shortRun('uniform', `uniform baseline ${index}`);
      short_runs.push({ name: `uniform ${index}`, ...run });
      const key = `e2e.skew_baseline.${index}`;
      figures.add({
        key,
        scenario,
        label: `end-to-end posted transfers/s, uniform baseline ${index} (the size of the skewed runs)`,
        value: run.stats.posted_per_second,
        unit: 'transfers/s',
        reference: 'e2e.rate',
      });
      return { key, rate: run.stats.posted_per_second };
    };
    let before = await uniformBaseline();
    for (const skew of SKEWED_RUNS) {
      const run = await shortRun(skew.destinations, skew.label);
      short_runs.push({ name: skew.destinations, ...run });
      figures.add({
        key: skew.key,
        scenario,
        label: `end-to-end posted transfers/s, ${skew.label}`,
        value: run.stats.posted_per_second,
        unit: 'transfers/s',
        reference: before.key,
        target: { description: '>= 0.7 x uniform', on: 'ratio', op: '>=', threshold: 0.7 },
      });
      const after = await uniformBaseline();
      figures.rebase(scenario, before.key, [before.rate, after.rate]);
      before = after;
    }
    return {
      short_runs: short_runs.map((run) => ({
        name: run.name,
        accept: run.accepted.load,
        posting: run.stats,
        final: run.final,
      })),
      accounts: account_count,
      transfers,
      accept: accepted.load,
      posting: stats,
      final,
      memory_checkpoints: checkpoints,
      database_per_posted_transfer: database,
      cpu_ms_per_posted_transfer: cpu_ms,
    };
  },
};

interface DatabaseActivity {
  commits: number;
  rollbacks: number;
  rows_inserted: number;
  rows_updated: number;
}

/**
 * The database's cumulative counters (every process's work on it, the benchmark's own reads included).
 * Per posted transfer they show how much database work the pipeline spends on one transfer. Backends
 * report their counters up to a few seconds late, so short runs give a rough figure.
 */
async function databaseActivity(platform: Platform): Promise<DatabaseActivity> {
  const { rows } = await platform.pool.query<Record<keyof DatabaseActivity, string>>(
    `SELECT xact_commit AS commits, xact_rollback AS rollbacks, tup_inserted AS rows_inserted, tup_updated AS rows_updated
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  const row = rows[0];
  return {
    commits: Number(row?.commits ?? Number.NaN),
    rollbacks: Number(row?.rollbacks ?? Number.NaN),
    rows_inserted: Number(row?.rows_inserted ?? Number.NaN),
    rows_updated: Number(row?.rows_updated ?? Number.NaN),
  };
}

function perTransfer(before: DatabaseActivity, after: DatabaseActivity, posted: number): DatabaseActivity {
  const per = (key: keyof DatabaseActivity) =>
    posted > 0 ? (after[key] - before[key]) / posted : Number.NaN;
  return {
    commits: per('commits'),
    rollbacks: per('rollbacks'),
    rows_inserted: per('rows_inserted'),
    rows_updated: per('rows_updated'),
  };
}

interface PipelineRun {
  accepted: Awaited<ReturnType<typeof accept>>;
  /** How many of the accepted transfers reached a final status before the drain deadline. */
  final: number;
  stats: Awaited<ReturnType<typeof postingStats>>;
}

/** Accepts `pairs` as fast as the API takes them and follows them to a final status. */
async function throughPipeline(
  platform: Platform,
  context: BenchContext,
  pairs: readonly TransferPair[],
  deadline_s: number,
): Promise<PipelineRun> {
  const accepted = await accept(platform, context, pairs, deadline_s);
  const final = await waitForFinal(platform.pool, accepted.ids, context.settings.drain_deadline_s);
  const stats = await postingStats(platform.pool, accepted.ids);
  context.log(
    `end-to-end: ${stats.posted} posted of ${accepted.ids.length} accepted in ${stats.span_s.toFixed(1)} s`,
  );
  if (final < accepted.ids.length)
    context.log(
      `end-to-end: ${accepted.ids.length - final} transfers still not final ${context.settings.drain_deadline_s} s after the last acceptance`,
    );
  return { accepted, final, stats };
}

async function accept(
  platform: Platform,
  context: BenchContext,
  pairs: readonly TransferPair[],
  deadline_s: number,
) {
  // The full run outlasts an access token (15 minutes): renew it in the background, as a client would.
  let authorization = await platform.authorization();
  const renewal = setInterval(() => {
    platform.authorization().then(
      (renewed) => (authorization = renewed),
      (error: Error) => context.log(`end-to-end: token renewal failed: ${error.message}`),
    );
  }, TOKEN_RENEWAL_INTERVAL_MS);
  const collector = acceptedIdCollector();
  const load = await closedLoop({
    base_url: platform.base_url,
    connections: context.settings.http_connections,
    total: pairs.length,
    deadline_s,
    timeout_ms: REQUEST_TIMEOUT_MS,
    request: (index) => transferRequest(pairs[index] as TransferPair, authorization),
    onResponse: collector.onResponse,
  }).finally(() => clearInterval(renewal));
  if (load.ok === 0)
    throw new Error(
      `no transfer was accepted (statuses ${JSON.stringify(load.statuses)}, ${load.errors} errors)`,
    );
  return { load, ids: collector.ids };
}

/**
 * Samples the ledger worker's RSS every half second while the run goes on; afterwards each sample is
 * matched with how many of the run's transfers were posted by then (the ledger worker stamps posted_at
 * with this machine's clock, the one Date.now() reads), giving the RSS after a tenth of the postings and
 * after all of them.
 */
function memorySampler(platform: Platform) {
  const worker = platform.processes.get('ledger-worker');
  const samples: Array<{ at_ms: number; memory: MemorySample }> = [];
  const timer = setInterval(() => {
    const memory = worker?.memory();
    if (memory) samples.push({ at_ms: Date.now(), memory });
  }, MEMORY_SAMPLE_INTERVAL_MS);
  return {
    async checkpoints(ids: readonly string[]): Promise<MemoryCheckpoint[]> {
      clearInterval(timer);
      const { rows } = await platform.pool.query<{ posted_ms: string }>(
        `SELECT extract(epoch FROM posted_at) * 1000 AS posted_ms FROM transfers WHERE id = ANY($1::uuid[]) AND posted_at IS NOT NULL ORDER BY posted_at`,
        [ids],
      );
      const posted_ms = rows.map((row) => Number(row.posted_ms));
      const postedBy = (at_ms: number) => {
        let low = 0;
        let high = posted_ms.length;
        while (low < high) {
          const middle = (low + high) >>> 1;
          if ((posted_ms[middle] ?? 0) <= at_ms) low = middle + 1;
          else high = middle;
        }
        return low;
      };
      const early = samples.find((sample) => postedBy(sample.at_ms) >= posted_ms.length / 10);
      const late = samples[samples.length - 1];
      return [early, late].flatMap((sample) =>
        sample ? [{ postings: postedBy(sample.at_ms), ledger_worker: sample.memory }] : [],
      );
    },
  };
}
