import { performance } from 'node:perf_hooks';
import { readCommandCpuMs } from '@ledgerline/processes';
import pg from 'pg';
import { createPrismaClient, type Database } from '@ledgerline/db';
import { createPostingEngine } from '@ledgerline/ledger';
import type { BenchContext, Scenario } from '../lib/context';
import { insertAccounts, insertApprovedTransfers, insertPlaceholderCustomer } from '../lib/seed';
import { medianBy } from '../lib/stats';
import { transferPairs, type Distribution } from '../lib/workload';

/** The ledger worker's default flush size (LEDGER_BATCH_SIZE_MAX); the engine is driven with batches this full. */
const WORKER_BATCH_SIZE = 256;
/** Untimed batches before the first run, shared among the callers as in the timed runs. */
const WARM_UP_BATCHES = 10;

interface RunSpec {
  key: string;
  label: string;
  distribution: Distribution;
  batch_size: number;
}

const RUNS: readonly RunSpec[] = [
  { key: 'engine.uniform', label: 'uniform', distribution: 'uniform', batch_size: WORKER_BATCH_SIZE },
  { key: 'engine.hot', label: 'hot account', distribution: 'hot', batch_size: WORKER_BATCH_SIZE },
  { key: 'engine.zipf', label: 'Zipf s=1', distribution: 'zipf', batch_size: WORKER_BATCH_SIZE },
  // What a larger flush size would buy, uniform only.
  {
    key: 'engine.uniform.large_batches',
    label: 'uniform, batches of 500',
    distribution: 'uniform',
    batch_size: 500,
  },
];

interface RunResult {
  key: string;
  distribution: Distribution;
  batch_size: number;
  transfers: number;
  posted: number;
  other_statuses: Record<string, number>;
  batches: number;
  elapsed_s: number;
  postings_per_second: number;
  batch_p50_ms: number;
  batch_max_ms: number;
  /** CPU per posting: this process (the engine's caller, Prisma and pg included) and every Postgres backend. */
  cpu_ms_per_posting: { engine: number; postgres: number };
  /** 1, 2, ... for the repeats of one run (the uniform one has `uniform_repeats`). */
  repeat: number;
}

/**
 * The posting path alone, no HTTP and no queues: approved transfers among 10,000 accounts are inserted
 * with SQL, then `createPostingEngine(...).advance(ids)` is called with full batches by `concurrency`
 * callers at once (like the worker's concurrent flushes). A posting is one transfer posted (two entries).
 * Uniform account choice, a hot account on half of the transfers, Zipf (s = 1), and uniform with
 * larger batches. The uniform run, whose figure has the target and is the others' reference, is
 * repeated (`uniform_repeats`) and reported as the median run; results.json keeps every run.
 */
export const ledgerEngine: Scenario = {
  name: 'ledger-engine',
  title: 'Ledger engine alone: postings/s (uniform, hot account, Zipf)',
  async run(context) {
    const {
      accounts: account_count,
      transfers_per_distribution,
      concurrency,
      uniform_repeats,
    } = context.settings.engine;
    const database = await context.database();
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const db = createPrismaClient({
      url: database.url,
      pool_size_max: concurrency + 1,
      statement_timeout_ms: 60_000,
      application_name: 'ledgerline-bench',
      // As the ledger worker's client (apps/ledger-worker/src/main.ts).
      plans: 'generic',
    });
    try {
      const customer = await insertPlaceholderCustomer(pool);
      const accounts = await insertAccounts(pool, customer, account_count);
      context.log(
        `ledger-engine: ${account_count} accounts, ${transfers_per_distribution} transfers per run, ${concurrency} concurrent callers`,
      );
      // Untimed batches first, so the first run does not pay for JIT and cold caches. One batch was not
      // enough: the first timed run then spent about a quarter more engine CPU per posting than the next.
      await drive(
        db,
        await insertApprovedTransfers(
          pool,
          transferPairs(accounts, WARM_UP_BATCHES * WORKER_BATCH_SIZE, 'uniform', 1),
          '1.00',
        ),
        RUNS[0] as RunSpec,
        context,
      );
      const results: RunResult[] = [];
      for (const spec of RUNS) {
        const repeats = spec.key === 'engine.uniform' ? uniform_repeats : 1;
        const runs: RunResult[] = [];
        for (let repeat = 1; repeat <= repeats; repeat += 1) {
          // Each repeat on transfers of its own, drawn with another seed: the same workload, not the same rows.
          const ids = await insertApprovedTransfers(
            pool,
            transferPairs(accounts, transfers_per_distribution, spec.distribution, 42 + repeat - 1),
            '1.00',
          );
          const result = { ...(await drive(db, ids, spec, context)), repeat };
          const cpu = result.cpu_ms_per_posting;
          context.log(
            `ledger-engine: ${spec.label}${repeats > 1 ? ` (${repeat} of ${repeats})` : ''}: ${Math.round(result.postings_per_second)} postings/s; batch p50 ${result.batch_p50_ms.toFixed(0)} ms, max ${result.batch_max_ms.toFixed(0)} ms; CPU ms per posting: engine ${cpu.engine.toFixed(3)}, Postgres ${cpu.postgres.toFixed(3)}`,
          );
          runs.push(result);
        }
        results.push(...runs);
        recordFigure(
          context,
          spec,
          medianBy(runs, (run) => run.postings_per_second),
          this.name,
          repeats,
        );
      }
      return { accounts: account_count, concurrency, uniform_repeats, runs: results };
    } finally {
      await db.$disconnect();
      await pool.end();
    }
  },
};

async function drive(
  db: Database,
  ids: readonly string[],
  spec: RunSpec,
  context: BenchContext,
): Promise<Omit<RunResult, 'repeat'>> {
  const { concurrency, deadline_s } = context.settings.engine;
  const engine = createPostingEngine({ db, batch_size_max: spec.batch_size, transaction_timeout_ms: 60_000 });
  const batches: string[][] = [];
  for (let start = 0; start < ids.length; start += spec.batch_size)
    batches.push(ids.slice(start, start + spec.batch_size));
  const statuses: Record<string, number> = {};
  const batch_ms: number[] = [];
  let next = 0;
  const cpu_before = { engine: process.cpuUsage(), postgres: readCommandCpuMs('postgres') };
  const started_at = performance.now();
  const deadline = started_at + deadline_s * 1_000;
  const caller = async () => {
    while (next < batches.length && performance.now() < deadline) {
      const batch = batches[next] as string[];
      next += 1;
      const batch_started_at = performance.now();
      const results = await engine.advance(batch);
      batch_ms.push(performance.now() - batch_started_at);
      for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed_s = (performance.now() - started_at) / 1_000;
  const engine_cpu = process.cpuUsage(cpu_before.engine);
  const postgres_cpu_ms = readCommandCpuMs('postgres') - cpu_before.postgres;
  const { posted = 0, ...other_statuses } = statuses;
  batch_ms.sort((a, b) => a - b);
  return {
    key: spec.key,
    distribution: spec.distribution,
    batch_size: spec.batch_size,
    transfers: ids.length,
    posted,
    other_statuses,
    batches: batch_ms.length,
    elapsed_s,
    postings_per_second: posted / elapsed_s,
    batch_p50_ms: batch_ms[Math.floor(batch_ms.length / 2)] ?? Number.NaN,
    batch_max_ms: batch_ms[batch_ms.length - 1] ?? Number.NaN,
    cpu_ms_per_posting: {
      engine: (engine_cpu.user + engine_cpu.system) / 1_000 / posted,
      postgres: postgres_cpu_ms / posted,
    },
  };
}

function recordFigure(
  context: BenchContext,
  spec: RunSpec,
  result: RunResult,
  scenario: string,
  repeats: number,
): void {
  const label = `engine postings/s, ${spec.label}${repeats > 1 ? ` (median of ${repeats} runs)` : ''}`;
  const common = { key: spec.key, scenario, label, value: result.postings_per_second, unit: 'postings/s' };
  if (spec.key === 'engine.uniform') {
    context.figures.add({
      ...common,
      reference: 'pgbench.tps',
      target: { description: '>= 3 x pgbench tps', on: 'ratio', op: '>=', threshold: 3 },
    });
  } else if (spec.distribution !== 'uniform') {
    // Informational: the issue's skew target is on the end-to-end runs (end-to-end.ts).
    context.figures.add({ ...common, reference: 'engine.uniform' });
  } else {
    context.figures.add({ ...common, reference: 'pgbench.tps' });
  }
}
