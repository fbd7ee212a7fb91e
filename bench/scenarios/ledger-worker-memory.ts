import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import {
  builtEntryOf,
  WORKER_READY_MESSAGES,
  type AppProcess,
  type MemorySample,
} from '@ledgerline/processes';
import { createJobProducer, createProducerConnection, jobs, type JobProducer } from '@ledgerline/queue';
import { deleteQueueKeys } from '@ledgerline/queue/testing';
import { cleanupStack } from '../lib/cleanups';
import type { BenchContext, Scenario } from '../lib/context';
import { ScenarioSkipped } from '../lib/figures';
import { keepMaintained } from '../lib/autovacuum';
import { createMigratedDatabase, uniqueName } from '../lib/postgres';
import { benchProcess } from '../lib/processes';
import { resolveRedis } from '../lib/redis';
import {
  BENCH_CLIENT_ID,
  insertAccounts,
  insertApprovedTransfersInChunks,
  insertPlaceholderCustomer,
} from '../lib/seed';
import { FINAL_STATUSES } from '../lib/transfers';
import { transferPairs } from '../lib/workload';

/** Also the worker process's name: its log is bench/tmp/logs/ledger-worker-memory.log, apart from the platform's. */
const NAME = 'ledger-worker-memory';
const POLL_INTERVAL_MS = 250;
/** No added transfer reaching a final status for this long means the worker is stuck: the scenario fails. */
const STALL_TIMEOUT_S = 120;
/** Transfers generated and inserted at a time while seeding, so the bench process's memory stays bounded. */
const SEED_CHUNK = 50_000;
/** Jobs per BullMQ addBulk (one MULTI): short enough not to hold up the worker's own Redis commands. */
const ADD_BULK_SIZE = 1_000;
/** The compliance worker's screening batch (its default `batch_size_max`): the transfers of one set job. */
const SCREENING_BATCH_SIZE = 100;
/** Points of the RSS curve kept in results.json. */
const CURVE_POINTS = 20;
const PROGRESS_LOGS = 10;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

interface Checkpoint {
  postings: number;
  /** Transfers added so far that reached a final status (posted, or unexpectedly rejected). */
  final: number;
  /** Seconds since the first job was added. */
  at_s: number;
  rss_bytes: number;
  peak_rss_bytes: number;
}

interface Progress {
  added: number;
  final: number;
  posted: number;
  /** Added and not known to be final (an upper bound: only the oldest unfinished chunk is counted). */
  outstanding: number;
}

/**
 * The ledger worker alone, as its own process (its bundle, the apps' Node options, its own database
 * and queue prefix), fed `ledger` jobs the way the compliance worker adds them, with approved transfers
 * among 10,000 accounts seeded with SQL beforehand. Its RSS once the first `early_postings` transfers
 * are posted against once all `late_postings` are (100,000 and 1,000,000 in the full run) shows
 * whether it grows with work done, at a count the whole pipeline cannot reach in a run. Jobs go in
 * chunks, with a bounded number outstanding, so neither Redis nor this process holds a million of
 * them; both samples are taken when the worker has just drained its queue.
 */
export const ledgerWorkerMemory: Scenario = {
  name: NAME,
  title: 'Ledger worker alone: RSS growth over N postings fed as ledger jobs',
  async run(context) {
    const settings = context.settings.worker_memory;
    const { early_postings, late_postings } = settings;
    if (!existsSync(builtEntryOf('ledger-worker')))
      throw new ScenarioSkipped('the ledger-worker app is not built (apps/ledger-worker)');

    // Everything is undone in reverse, at the end of the scenario, on its failure, or on Ctrl-C.
    const cleanups = cleanupStack((message) => context.log(`${NAME}: ${message}`));
    context.defer(() => cleanups.run());
    try {
      // Its own database: a million transfers and two million entries in the shared one would slow the
      // platform's scenarios, and dropping a database is instant where deleting the rows is not.
      const database = await createMigratedDatabase(
        context.postgres_server_url,
        uniqueName('bench_ledgerline_worker'),
      );
      cleanups.push(database.drop);
      await keepMaintained(database.url, NAME, {
        log: context.log,
        defer: (cleanup) => cleanups.push(cleanup),
      });
      const pool = new pg.Pool({ connectionString: database.url, max: 2 });
      cleanups.push(() => pool.end());
      const redis = await resolveRedis(process.env['REDIS_URL']);
      cleanups.push(redis.stop);
      const prefix = `bench-${randomBytes(4).toString('hex')}`;
      cleanups.push(async () => void (await deleteQueueKeys(redis.url, prefix)));

      const seed_started_at = performance.now();
      const accounts = await insertAccounts(pool, await insertPlaceholderCustomer(pool), settings.accounts);
      await insertApprovedTransfersInChunks(
        pool,
        late_postings,
        '1.00',
        (offset, size) => transferPairs(accounts, size, 'uniform', 42 + offset),
        SEED_CHUNK,
      );
      const seed_s = (performance.now() - seed_started_at) / 1_000;
      context.log(
        `${NAME}: ${late_postings} approved transfers among ${settings.accounts} accounts seeded in ${seed_s.toFixed(1)} s (database ${database.name})`,
      );

      const worker = benchProcess(
        { name: NAME, entry: builtEntryOf('ledger-worker') },
        {
          // What the platform gives it (bench/lib/platform.ts), its own database and prefix; the rest default.
          environment: {
            DATABASE_URL: database.url,
            REDIS_URL: redis.url,
            QUEUE_PREFIX: prefix,
            LOG_LEVEL: 'info',
          },
          ready: { log_message: WORKER_READY_MESSAGES['ledger-worker'] },
          cpu_profile: context.cpu_profile,
        },
      );
      cleanups.push(() => worker.close());
      worker.start();
      await worker.waitReady({ timeout_ms: context.settings.ready_timeout_ms, interval_ms: 200 });
      if (!worker.memory()) throw new ScenarioSkipped('no process memory to read (needs Linux /proc)');
      context.log(
        `${NAME}: ledger worker up (pid ${worker.pid}, queue prefix ${prefix}, Redis ${redis.description})`,
      );

      const logger = pino(
        { level: 'warn', base: { component: 'bench-feeder' } },
        { write: (line: string) => context.log(`${NAME}: feeder: ${line.trimEnd()}`) },
      );
      const connection = createProducerConnection({
        url: redis.url,
        connection_name: 'bench-feeder',
        logger,
      });
      const producer = createJobProducer({ connection, prefix, logger });
      cleanups.push(async () => {
        await producer.close();
        await connection.quit().catch(() => connection.disconnect());
      });

      const feeder = ledgerFeeder(pool, producer, settings);
      const run = measurement(context, worker, feeder, settings);
      context.log(
        `${NAME}: adding ledger jobs ${settings.enqueue_chunk} at a time, at most ${settings.outstanding_max} outstanding; RSS after ${early_postings} and after ${late_postings} postings`,
      );
      const early = await run.postUntil(early_postings);
      if (early.final < early_postings)
        throw new Error(
          `only ${early.final} of the first ${early_postings} transfers were final within ${settings.deadline_s} s`,
        );
      const late = await run.postUntil(late_postings);
      if (late.final < late_postings)
        context.log(
          `${NAME}: deadline of ${settings.deadline_s} s passed: RSS taken after ${late.postings} postings, not ${late_postings}`,
        );
      if (late.postings < late.final)
        context.log(
          `${NAME}: ${late.final - late.postings} transfers were not posted (see statuses in results.json)`,
        );
      const postings_per_second = (late.postings - early.postings) / (late.at_s - early.at_s);
      context.log(
        `${NAME}: worker RSS ${mb(early.rss_bytes)} MB after ${early.postings} postings, ${mb(late.rss_bytes)} MB after ${late.postings}; ${Math.round(postings_per_second)} postings/s`,
      );

      const { rows } = await pool.query<{ status: string; count: string }>(
        'SELECT status::text AS status, count(*) AS count FROM transfers WHERE client_id = $1 GROUP BY status',
        [BENCH_CLIENT_ID],
      );
      const statuses = Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));

      const { figures } = context;
      const scenario = this.name;
      figures.add({
        key: 'worker.rss.early',
        scenario,
        label: `worker RSS after ${early.postings} postings`,
        value: early.rss_bytes / 2 ** 20,
        unit: 'MB',
      });
      figures.add({
        key: 'worker.rss.late',
        scenario,
        label: `worker RSS after ${late.postings} postings`,
        value: late.rss_bytes / 2 ** 20,
        unit: 'MB',
        reference: 'worker.rss.early',
        target: { description: '<= 1.1 x (growth < 10%)', on: 'ratio', op: '<=', threshold: 1.1 },
      });
      figures.add({
        key: 'worker.rate',
        scenario,
        label: `worker postings/s, ${early.postings} to ${late.postings}`,
        value: postings_per_second,
        unit: 'postings/s',
        reference: 'pgbench.tps',
      });
      return {
        accounts: settings.accounts,
        transfers: late_postings,
        enqueue_chunk: settings.enqueue_chunk,
        outstanding_max: settings.outstanding_max,
        seed_s,
        checkpoints: [early, late],
        postings_per_second,
        postings_per_second_overall: late.postings / late.at_s,
        rss_curve: run.curve,
        statuses,
      };
    } finally {
      await cleanups.run();
    }
  },
};

interface Chunk {
  ids: string[];
  final: number;
  posted: number;
}

/**
 * Adds `advance-set` jobs for the seeded transfers in id order, `enqueue_chunk` at a time, and follows them
 * in SQL: chunks are counted oldest first, and a chunk whose transfers are all final is retired.
 */
function ledgerFeeder(
  pool: pg.Pool,
  producer: JobProducer,
  settings: { enqueue_chunk: number; outstanding_max: number },
) {
  const window: Chunk[] = [];
  let cursor = ZERO_UUID;
  let added = 0;
  let retired_final = 0;
  let retired_posted = 0;

  const progress = (): Progress => {
    const final = retired_final + (window[0]?.final ?? 0);
    return { added, final, posted: retired_posted + (window[0]?.posted ?? 0), outstanding: added - final };
  };

  return {
    progress,
    /** Adds chunks while fewer than `target` jobs were added and a chunk fits under `outstanding_max`. */
    async topUp(target: number): Promise<void> {
      for (;;) {
        const size = Math.min(settings.enqueue_chunk, target - added);
        if (size <= 0 || progress().outstanding + size > settings.outstanding_max) return;
        const { rows } = await pool.query<{ id: string }>(
          'SELECT id::text AS id FROM transfers WHERE client_id = $1 AND id > $2::uuid ORDER BY id LIMIT $3',
          [BENCH_CLIENT_ID, cursor, size],
        );
        const ids = rows.map((row) => row.id);
        if (ids.length < size) throw new Error(`ran out of seeded transfers after ${added + ids.length}`);
        for (let start = 0; start < ids.length; start += ADD_BULK_SIZE) {
          // As the compliance worker hands a screening batch's approved transfers to the ledger: one
          // `advance-set` job per batch of SCREENING_BATCH_SIZE, payload { transfers: [{ transfer_id,
          // request_id }] }, the queue's job options.
          const slice = ids.slice(start, start + ADD_BULK_SIZE);
          const sets = [];
          for (let set = 0; set < slice.length; set += SCREENING_BATCH_SIZE) {
            const transfers = slice
              .slice(set, set + SCREENING_BATCH_SIZE)
              .map((transfer_id) => ({ transfer_id, request_id: randomUUID() }));
            sets.push(jobs.advanceSet(transfers));
          }
          await producer.addBulk(sets);
        }
        cursor = ids[ids.length - 1] as string;
        added += ids.length;
        window.push({ ids, final: 0, posted: 0 });
      }
    },
    /** Counts the oldest chunks' final and posted transfers, retiring each that is done. */
    async refresh(): Promise<void> {
      for (let chunk = window[0]; chunk; chunk = window[0]) {
        const { rows } = await pool.query<{ final: string; posted: string }>(
          `SELECT count(*) FILTER (WHERE status IN ${FINAL_STATUSES}) AS final,
                  count(*) FILTER (WHERE status = 'posted') AS posted
             FROM transfers WHERE id = ANY($1::uuid[])`,
          [chunk.ids],
        );
        chunk.final = Number(rows[0]?.final ?? 0);
        chunk.posted = Number(rows[0]?.posted ?? 0);
        if (chunk.final < chunk.ids.length) return;
        window.shift();
        retired_final += chunk.final;
        retired_posted += chunk.posted;
      }
    },
  };
}

/** Drives the feeder to each checkpoint and samples the worker's memory there (and along the way). */
function measurement(
  context: BenchContext,
  worker: AppProcess,
  feeder: ReturnType<typeof ledgerFeeder>,
  settings: { late_postings: number; deadline_s: number },
) {
  const started_at = performance.now();
  const deadline = started_at + settings.deadline_s * 1_000;
  const curve: Array<{ postings: number; at_s: number; rss_bytes: number }> = [];
  const curve_step = Math.max(1, Math.floor(settings.late_postings / CURVE_POINTS));
  const log_step = Math.max(1, Math.floor(settings.late_postings / PROGRESS_LOGS));
  let next_curve_point = curve_step;
  let next_log = log_step;
  let last_log = { posted: 0, at_ms: started_at };

  const sample = (): MemorySample => {
    const memory = worker.memory();
    if (!worker.running || !memory) throw new Error(`the ledger worker exited:\n${worker.notableOutput()}`);
    return memory;
  };
  const elapsed_s = () => (performance.now() - started_at) / 1_000;

  return {
    curve,
    /**
     * Adds jobs until `target` were added and all of them are final, then samples the worker's memory;
     * at the deadline it samples where the posting got to.
     */
    async postUntil(target: number): Promise<Checkpoint> {
      let last_final = -1;
      let last_change_at = performance.now();
      for (;;) {
        await feeder.topUp(target);
        await feeder.refresh();
        const progress = feeder.progress();
        const memory = sample();
        const now = performance.now();
        if (progress.posted >= next_curve_point) {
          curve.push({ postings: progress.posted, at_s: elapsed_s(), rss_bytes: memory.rss_bytes });
          next_curve_point = (Math.floor(progress.posted / curve_step) + 1) * curve_step;
        }
        if (progress.posted >= next_log) {
          const rate = ((progress.posted - last_log.posted) * 1_000) / (now - last_log.at_ms);
          context.log(
            `${NAME}: ${progress.posted} posted, ${Math.round(rate)} postings/s, worker RSS ${mb(memory.rss_bytes)} MB`,
          );
          last_log = { posted: progress.posted, at_ms: now };
          next_log = (Math.floor(progress.posted / log_step) + 1) * log_step;
        }
        if ((progress.added >= target && progress.outstanding === 0) || now > deadline) {
          return {
            postings: progress.posted,
            final: progress.final,
            at_s: elapsed_s(),
            rss_bytes: memory.rss_bytes,
            peak_rss_bytes: memory.peak_rss_bytes,
          };
        }
        if (progress.final !== last_final) {
          last_final = progress.final;
          last_change_at = now;
        } else if (now - last_change_at > STALL_TIMEOUT_S * 1_000) {
          throw new Error(
            `no ledger job finished in ${STALL_TIMEOUT_S} s (${progress.final} of ${progress.added} added transfers final):\n${worker.notableOutput()}`,
          );
        }
        await sleep(POLL_INTERVAL_MS);
      }
    },
  };
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
