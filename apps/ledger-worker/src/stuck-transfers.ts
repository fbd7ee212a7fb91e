import type { JobState, Queue } from 'bullmq';
import { Prisma, transferStatusIs, type Database } from '@ledgerline/db';
import { jobs, type HoldActionName, type JobProducer, type JobSpec, type RawJob } from '@ledgerline/queue';
import type { Logger } from 'pino';
import { createSweepLoop, type SweepLoop } from './sweep-loop';
import type { SweeperMetrics } from './sweeper-metrics';

/** The job a stuck transfer waits for; `hold-action` is the `advance` of a requested capture or void. */
export type StuckTransferJobKind = 'screen' | 'screen-batch' | 'advance' | 'advance-batch' | 'hold-action';

export interface StuckTransferSweep {
  /** Jobs added, one per stuck transfer or atomic batch; zero when nothing was stuck. */
  jobs: number;
  by_kind: Record<StuckTransferJobKind, number>;
  /** Stuck transfers left alone because their job is still queued, or its queue paused by an operator. */
  still_queued: number;
}

/**
 * How much later than a transfer's last change a set job added for it may be stamped (another process's
 * clock): the time to add it, and the clocks' disagreement. See {@link mayHoldSetJob}.
 */
const SET_JOB_STAMP_MARGIN_MS = 10_000;

/** The jobs that may travel in a set job (`screen-set`, `advance-set`; see `combineTransferJobs`). */
const SET_KINDS: ReadonlySet<StuckTransferJobKind> = new Set(['screen', 'advance']);

/** Job states in which the work is still to come: adding the job again would only make a duplicate. */
const QUEUED_STATES: ReadonlySet<JobState | 'unknown'> = new Set([
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
]);

export interface StuckTransferSweeperOptions {
  db: Database;
  producer: JobProducer;
  interval_ms: number;
  /** A transfer waiting for a job that nothing touched (`updated_at`) for this long is re-queued. */
  stuck_after_ms: number;
  /** The most stuck transfers one sweep reads in each waiting status. */
  batch_size_max: number;
  logger: Logger;
  /** The wall clock; tests move it to sweep in a later window. */
  clock?: () => Date;
  /** Where the sweeper counts what it re-queued and its failed sweeps; none when absent. */
  metrics?: SweeperMetrics;
}

export type StuckTransferSweeper = SweepLoop<StuckTransferSweep>;

interface StuckRow {
  id: string;
  status: 'received' | 'screening' | 'approved' | 'pending';
  hold_action: HoldActionName | null;
  request_id: string | null;
  /** Set when the transfer belongs to an atomic batch, which screening and the ledger take as one. */
  atomic_batch_id: string | null;
  updated_at: Date;
}

/**
 * The sweep's one statement: up to `batch_size_max` transfers of each waiting status last changed before
 * `cutoff`. One branch per status, each reading the range of its phase in the `(phase, id)` index (status
 * itself is never indexed, so that screening's status changes stay HOT updates; received, screening and
 * approved share the phase `in_flight` and are told apart on the row), so a status with many stuck
 * transfers (screening while the compliance worker is down) cannot starve the others of their LIMIT.
 * Each status is written into the statement, not bound: the worker's client runs generic plans, and only
 * a literal (folded through the immutable `transfer_phase`) lets the planner match the pending branch to
 * its partial index. Exported for its plan test.
 */
export function stuckTransfersStatement(cutoff: Date, batch_size_max: number): Prisma.Sql {
  const before = cutoff.toISOString();
  const waiting = (status: StuckRow['status'], also: Prisma.Sql = Prisma.empty) => Prisma.sql`
    (SELECT id, status, hold_action, request_id, batch_id, updated_at FROM transfers
     WHERE ${transferStatusIs(Prisma.raw(`'${status}'::transfer_status`))} ${also}
       AND id < uuidv7_lower_bound(${before}::timestamptz) AND updated_at < ${before}::timestamptz
     ORDER BY id
     LIMIT ${batch_size_max})`;
  return Prisma.sql`
    SELECT t.id::text AS id, t.status::text AS status, t.hold_action::text AS hold_action, t.request_id,
           CASE WHEN b.atomic THEN t.batch_id::text END AS atomic_batch_id, t.updated_at
    FROM (${Prisma.join(
      [
        waiting('received'),
        waiting('screening'),
        waiting('approved'),
        waiting('pending', Prisma.sql`AND hold_action IS NOT NULL`),
      ],
      ' UNION ALL ',
    )}) AS t
    LEFT JOIN transfer_batches b ON b.id = t.batch_id`;
}

/**
 * The safety net behind every hand-off by job: a `screen`, `advance` or batch job that Redis lost (a
 * failover to a lagging replica, a crash inside the AOF fsync window) or that ended in the failed set
 * would otherwise leave its transfer waiting forever, since only the job moves it on. Each sweep reads
 * the transfers that wait for a job and have not changed for `stuck_after_ms`, and adds that job again:
 *
 * - `received` and `screening` (a delivery that died mid-screening) wait for screening: `screen`, or
 *   `screen-batch` for an atomic batch, since screening one member alone would break the batch's unity.
 *   Claims and decisions are conditional updates, so a screen job for a decided transfer changes nothing
 *   (at most it re-adds the ledger job of an approved one).
 * - `approved` waits for the ledger: `advance`, or `advance-batch` for an atomic batch.
 * - A plain `screen` or `advance` may have travelled in a set job, whose id names no transfer: see
 *   {@link mayHoldSetJob}.
 * - `pending` with a requested capture or void waits for the ledger: `advance`. A pending hold without
 *   one waits for its client or its expiry (the hold-expiry sweeper), and `held` waits for an officer:
 *   neither is swept.
 *
 * The engine's advance is a state machine under row locks, so a repeated advance posts nothing twice.
 * The query reads one range of the `(phase, id)` index per status, cut off at the ids minted before the
 * threshold (UUIDv7, so id order is creation order, and a row is never updated before it was created):
 * a healthy system, whose transfers waiting for screening or the ledger are all younger, reads no rows
 * there and sends nothing to Redis. The pending branch reads the partial index of holds with a
 * requested action (`transfers_hold_action_requested_idx`), a few rows at any moment, not every open hold.
 *
 * Several ledger workers may sweep at once without a lock between them: within one window they add the
 * same job ids (see {@link requeueJobId}), which BullMQ adds once.
 */
export function createStuckTransferSweeper(options: StuckTransferSweeperOptions): StuckTransferSweeper {
  const logger = options.logger.child({ component: 'stuck-transfer-sweeper' });
  const clock = options.clock ?? (() => new Date());

  async function sweepOnce(): Promise<StuckTransferSweep> {
    const now = clock();
    const cutoff = new Date(now.getTime() - options.stuck_after_ms);
    const stuck = await options.db.$queryRaw<StuckRow[]>(
      stuckTransfersStatement(cutoff, options.batch_size_max),
    );
    const sweep: StuckTransferSweep = {
      jobs: 0,
      by_kind: { screen: 0, 'screen-batch': 0, advance: 0, 'advance-batch': 0, 'hold-action': 0 },
      still_queued: 0,
    };
    if (stuck.length === 0) return sweep;

    // Members of one atomic batch share one job.
    const candidates = new Map<
      string,
      { kind: StuckTransferJobKind; spec: JobSpec; job: RawJob; updated_at: Date }
    >();
    for (const row of stuck) {
      const { kind, spec } = jobFor(row);
      const job_id = requeueJobId(spec, now, options.stuck_after_ms);
      candidates.set(job_id, { kind, spec, job: { ...spec, job_id }, updated_at: row.updated_at });
    }
    // A transfer can also wait long because its queue is backlogged or paused: then its job is there,
    // and one more would only grow the backlog an operator is looking at.
    // An operator's pause is asked of each queue once per sweep, not once per transfer.
    const pausedQueues = new Set<string>();
    for (const name of new Set([...candidates.values()].map(({ spec }) => spec.queue))) {
      if (await options.producer.queue(name).isPaused()) pausedQueues.add(name);
    }
    // Plain screens and advances may travel in set jobs, whose ids name no transfer: one look per queue.
    const setHolders = new Map<string, (changed_at: Date) => boolean>();
    for (const { kind, spec } of candidates.values()) {
      if (SET_KINDS.has(kind) && !pausedQueues.has(spec.queue) && !setHolders.has(spec.queue))
        setHolders.set(spec.queue, await mayHoldSetJob(options.producer.queue(spec.queue)));
    }
    const requeued = new Map<string, { kind: StuckTransferJobKind; job: RawJob }>();
    await Promise.all(
      [...candidates].map(async ([job_id, candidate]) => {
        const { queue } = candidate.spec;
        const previous = requeueJobId(
          candidate.spec,
          new Date(now.getTime() - options.stuck_after_ms),
          options.stuck_after_ms,
        );
        if (
          pausedQueues.has(queue) ||
          (SET_KINDS.has(candidate.kind) && setHolders.get(queue)?.(candidate.updated_at) === true) ||
          (await hasQueuedJob(options.producer.queue(queue), [candidate.spec.job_id, previous]))
        ) {
          sweep.still_queued += 1;
        } else requeued.set(job_id, candidate);
      }),
    );
    if (requeued.size === 0) return sweep;
    await options.producer.addBulk([...requeued.values()].map(({ job }) => job));
    for (const { kind } of requeued.values()) sweep.by_kind[kind] += 1;
    sweep.jobs = requeued.size;
    options.metrics?.jobsRequeued(sweep.by_kind);
    logger.info(
      {
        transfers: stuck.length,
        jobs: sweep.jobs,
        ...sweep.by_kind,
        still_queued: sweep.still_queued,
        stuck_after_ms: options.stuck_after_ms,
      },
      'stuck transfers re-queued',
    );
    return sweep;
  }

  return createSweepLoop({
    sweep: sweepOnce,
    interval_ms: options.interval_ms,
    logger,
    failure_message: 'stuck transfer sweep failed; the next sweep retries',
    on_failure: () => options.metrics?.sweepFailed('stuck-transfers'),
  });
}

/**
 * Whether a stuck transfer's set job (`screen-set` from the relay, `advance-set` from screening; their ids
 * name no transfer) may still be in `queue`: such a job is added right after the change that left the
 * transfer waiting (its acceptance, its approval), and a queue is first in, first out, so while the queue
 * holds a job stamped before that change (plus a margin), the transfer's job may be among them; once
 * every queued job is younger, its job is gone (lost or failed) and the transfer is re-queued on its own.
 * Read once per sweep and queue: the oldest job waiting and running, and the first due of the delayed
 * (retries, a job's backoff). A set job added long after the change (a relay that was cut off from Redis,
 * a redelivered screening job) can make the sweep add one job too many: it then finds its work done.
 */
async function mayHoldSetJob(queue: Queue): Promise<(changed_at: Date) => boolean> {
  const oldest = await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 0, true);
  const stamped = Math.min(...oldest.map((job) => job.timestamp).filter(Number.isFinite));
  return (changed_at) => stamped <= changed_at.getTime() + SET_JOB_STAMP_MARGIN_MS;
}

/** Whether any of these jobs is still waiting, running or delayed in the queue. */
async function hasQueuedJob(queue: Queue, job_ids: readonly string[]): Promise<boolean> {
  const states = await Promise.all(job_ids.map((job_id) => queue.getJobState(job_id)));
  return states.some((state) => QUEUED_STATES.has(state));
}

function jobFor(row: StuckRow): { kind: StuckTransferJobKind; spec: JobSpec } {
  const request_id = row.request_id ?? 'unknown';
  if (row.status === 'pending' && row.hold_action !== null)
    return { kind: 'hold-action', spec: jobs.advanceTransfer(row.id, request_id, row.hold_action) };
  const screening = row.status === 'received' || row.status === 'screening';
  if (row.atomic_batch_id !== null) {
    return screening
      ? { kind: 'screen-batch', spec: jobs.screenBatch(row.atomic_batch_id, request_id) }
      : { kind: 'advance-batch', spec: jobs.advanceBatch(row.atomic_batch_id, request_id) };
  }
  return screening
    ? { kind: 'screen', spec: jobs.screenTransfer(row.id, request_id) }
    : { kind: 'advance', spec: jobs.advanceTransfer(row.id, request_id) };
}

/**
 * The id of a re-queued job: its deterministic id, suffixed with the window of `stuck_after_ms` the sweep
 * runs in (`screen-<id>-sweep-<n>`). The deterministic id alone would not do: BullMQ ignores an add for an
 * id it still holds, and it holds completed jobs for a day and failed ones for two weeks, so a transfer
 * whose job failed would stay stuck. A fresh id per sweep would do, but every sweep of every worker
 * would add another job for a transfer still waiting in a slow queue. With the window, the sweeps of one
 * window add one job, and a re-queued job that was lost or failed in its turn is re-queued in the next.
 */
function requeueJobId(spec: JobSpec, now: Date, stuck_after_ms: number): string {
  return `${spec.job_id}-sweep-${Math.floor(now.getTime() / stuck_after_ms)}`;
}
