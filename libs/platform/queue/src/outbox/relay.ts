import { sqlArray, type Database } from '@ledgerline/db';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createJobProducer, type RawJob } from '../jobs/producer';
import { isTransientRedisError } from '../connection/redis-errors';
import type { PublishedRow, RelayMetrics } from './relay-metrics';

export interface OutboxRelayOptions {
  db: Database;
  /** A producer connection (`createProducerConnection`); the relay never quits it. */
  connection: Redis;
  /** BullMQ key prefix, the same the workers use. */
  prefix: string;
  /** Rows published per transaction (1..1000). */
  batch_size_max: number;
  /**
   * The pause after a scan that found nothing due: the longest a committed row waits for the relay.
   * An idle scan is one indexed read, so tens of milliseconds cost the database little.
   */
  poll_interval_ms: number;
  /** A publish that takes longer is abandoned and its rows stay unpublished. Default 5 s. */
  publish_timeout_ms?: number;
  /** Published rows older than this are deleted. Default 7 days. */
  retention_ms?: number;
  /** How often the relay deletes old published rows. Default 1 minute. */
  cleanup_interval_ms?: number;
  logger: Logger;
  /** Where the relay reports what it published and its failed runs (`createRelayMetrics`); none when absent. */
  metrics?: RelayMetrics;
  /**
   * Rewrites the jobs of one run before they are added (`combineTransferJobs`: the transfers' `screen`
   * jobs as one `screen-set`); as the rows say when absent. Every row's job must still be done by what is added.
   */
  combine?: (jobs: readonly RawJob[]) => RawJob[];
}

export interface OutboxRunResult {
  /** Rows published and marked by this run. */
  published: number;
  /** False when Redis was not connected: the run touched nothing. */
  redis_ready: boolean;
  /** When the next delayed row becomes due, if the run found no more due rows. */
  next_available_at: Date | null;
}

/**
 * Publishes outbox rows to BullMQ: at least once per row, exactly once per job id, because every job id
 * is deterministic and BullMQ ignores an add whose id is already in the queue.
 */
export interface OutboxRelay {
  /** Publishes one batch of due rows and marks them published, in one transaction. */
  runOnce(): Promise<OutboxRunResult>;
  /** Deletes published rows older than the retention, in bounded batches. Returns the number deleted. */
  cleanupOnce(): Promise<number>;
  /** Starts the loop; returns once started. */
  start(): Promise<void>;
  /** Stops the loop after the current batch, and closes the relay's queues. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: bigint;
  queue: string;
  job_name: string;
  job_id: string;
  payload: unknown;
  request_id: string | null;
  due_for_s: number;
}

const BATCH_SIZE_MAX = 1_000;
const CLEANUP_BATCH_SIZE = 1_000;
const CLEANUP_ROUNDS_MAX = 100;
const FAILURE_BACKOFF_MAX_MS = 30_000;
/** How long a row whose job the queue refused waits before it is tried again. */
const REFUSED_ROW_RETRY_MS = 60_000;

/**
 * Builds the outbox relay.
 *
 * It polls: a scan that finds nothing due is one indexed read, repeated every `poll_interval_ms`.
 * (Waking relays with LISTEN/NOTIFY was dropped: a transaction that notifies takes a database-wide
 * lock at commit and holds it through its WAL flush, so every accepting transaction of the platform
 * committed one after another.)
 *
 * Delayed rows (`available_at` in the future) are published only when due, not published early with a
 * BullMQ delay: the timer then lives in Postgres, which is durable and backed up, instead of in Redis,
 * and a delayed job cannot be lost to a Redis failover. The relay arms a timer for the next due row, so
 * a delayed row is published within milliseconds of its time, and polling bounds the delay anyway.
 *
 * Several relays may run at once: `FOR UPDATE SKIP LOCKED` gives each a disjoint batch. A relay that dies
 * between publishing and committing leaves its rows unpublished; the next run publishes them again and
 * BullMQ drops the duplicates by job id.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  if (
    !Number.isInteger(options.batch_size_max) ||
    options.batch_size_max < 1 ||
    options.batch_size_max > BATCH_SIZE_MAX
  ) {
    throw new RangeError(`batch_size_max must be an integer in 1..${BATCH_SIZE_MAX}`);
  }
  const publish_timeout_ms = options.publish_timeout_ms ?? 5_000;
  const retention_ms = options.retention_ms ?? 7 * 24 * 60 * 60 * 1_000;
  const cleanup_interval_ms = options.cleanup_interval_ms ?? 60_000;
  const logger = options.logger.child({ component: 'outbox-relay' });
  const producer = createJobProducer({ connection: options.connection, prefix: options.prefix, logger });
  const wakeup = new Wakeup();
  let running = false;
  let loop: Promise<void> | undefined;
  let redis_down_logged = false;

  /**
   * Adds one run's jobs (combined, when the relay combines) and answers the rows' jobs the queue refused,
   * with why. A failed add is tried again job by job, uncombined: when some jobs go and others do not,
   * the others are refused for what they are (BullMQ's own checks, such as its size limit) and must not
   * hold up the rest, which would otherwise fail with them on every run. When none goes, the fault is the
   * moment's (Redis), not the jobs': the run fails and is retried as a whole.
   */
  async function publish(batch: RawJob[]): Promise<Map<string, unknown>> {
    const jobs = options.combine === undefined ? batch : options.combine(batch);
    try {
      await withTimeout(producer.addBulk(jobs), publish_timeout_ms, 'publishing outbox rows to Redis');
      return new Map();
    } catch (error) {
      if (batch.length === 1 || isTransientRedisError(error) || options.connection.status !== 'ready')
        throw error;
      const refused = new Map<string, unknown>();
      for (const job of batch) {
        try {
          await withTimeout(producer.addBulk([job]), publish_timeout_ms, 'publishing an outbox row to Redis');
        } catch (jobError) {
          if (isTransientRedisError(jobError)) throw jobError;
          refused.set(job.job_id, jobError);
        }
      }
      if (refused.size === batch.length) throw error;
      return refused;
    }
  }

  async function runOnce(): Promise<OutboxRunResult> {
    // With the offline queue disabled, commands fail fast, but BullMQ waits for the connection before
    // sending any; checking first keeps a relay cut off from Redis from holding row locks while it waits.
    if (options.connection.status !== 'ready') {
      if (!redis_down_logged)
        logger.warn({ redis_status: options.connection.status }, 'redis not ready; outbox rows wait');
      redis_down_logged = true;
      return { published: 0, redis_ready: false, next_available_at: null };
    }
    redis_down_logged = false;
    // The idle path: one round trip says whether anything is due, and when the next delayed row is.
    const [probe] = await options.db.$queryRaw<Array<{ due: boolean; next_available_at: Date | null }>>`
      SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE published_at IS NULL AND available_at <= now()) AS due,
             (SELECT min(available_at) FROM outbox_messages
               WHERE published_at IS NULL AND available_at > now()) AS next_available_at`;
    if (!probe?.due)
      return { published: 0, redis_ready: true, next_available_at: probe?.next_available_at ?? null };
    const published = await options.db.$transaction(
      async (tx): Promise<PublishedRow[]> => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id, queue, job_name, job_id, payload, request_id,
                 extract(epoch FROM clock_timestamp() - available_at)::float8 AS due_for_s
          FROM outbox_messages
          WHERE published_at IS NULL AND available_at <= now()
          ORDER BY id
          LIMIT ${options.batch_size_max}
          FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return [];
        const batch: RawJob[] = rows.map((row) => ({
          queue: row.queue,
          job_name: row.job_name,
          job_id: row.job_id,
          payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
        }));
        const refused = await publish(batch);
        const sent = rows.filter((row) => !refused.has(row.job_id));
        await tx.$executeRaw`
          UPDATE outbox_messages SET published_at = now()
          WHERE id = ANY(${sqlArray(sent.map((row) => row.id.toString()))}::bigint[])`;
        if (refused.size > 0) {
          const parked = rows.filter((row) => refused.has(row.job_id));
          // Due again later, so that the rows behind it flow and its error is not logged on every poll.
          await tx.$executeRaw`
            UPDATE outbox_messages SET available_at = now() + ${REFUSED_ROW_RETRY_MS}::double precision * interval '1 millisecond'
            WHERE id = ANY(${sqlArray(parked.map((row) => row.id.toString()))}::bigint[])`;
          for (const row of parked) {
            logger.error(
              {
                request_id: row.request_id ?? 'unknown',
                queue: row.queue,
                job_id: row.job_id,
                err: refused.get(row.job_id),
                retry_in_ms: REFUSED_ROW_RETRY_MS,
              },
              'outbox row refused by the queue; it is tried again later and the rows behind it go on',
            );
          }
          options.metrics?.refused(parked.map(({ queue }) => ({ queue })));
        }
        for (const row of sent) {
          logger.debug(
            { request_id: row.request_id ?? 'unknown', queue: row.queue, job_id: row.job_id },
            'outbox row published',
          );
        }
        return sent.map(({ queue, due_for_s }) => ({ queue, due_for_s }));
      },
      // READ COMMITTED, the isolation every connection of createPrismaClient starts with.
      {
        maxWait: 5_000,
        timeout: publish_timeout_ms + 10_000,
      },
    );
    // Counted once committed: rows of a transaction that failed are published again by a later run.
    options.metrics?.published(published);
    if (published.length > 0) logger.info({ published: published.length }, 'outbox rows published');
    // Whatever is left (more due rows, or delayed ones) the next scan finds.
    return { published: published.length, redis_ready: true, next_available_at: null };
  }

  async function cleanupOnce(): Promise<number> {
    let deleted = 0;
    for (let round = 0; round < CLEANUP_ROUNDS_MAX; round += 1) {
      const count = await options.db.$executeRaw`
        DELETE FROM outbox_messages WHERE id IN (
          SELECT id FROM outbox_messages
          WHERE published_at < now() - (${retention_ms}::double precision * interval '1 millisecond')
          ORDER BY published_at
          LIMIT ${CLEANUP_BATCH_SIZE}
          FOR UPDATE SKIP LOCKED)`;
      deleted += count;
      if (count < CLEANUP_BATCH_SIZE) break;
    }
    if (deleted > 0) logger.info({ deleted }, 'old published outbox rows deleted');
    return deleted;
  }

  async function runLoop(): Promise<void> {
    let failures = 0;
    let cleaned_at = 0;
    while (running) {
      let wait_ms = options.poll_interval_ms;
      try {
        const result = await runOnce();
        failures = 0;
        if (result.redis_ready && Date.now() - cleaned_at >= cleanup_interval_ms) {
          cleaned_at = Date.now();
          await cleanupOnce();
        }
        // A full batch means more rows are probably due: go again at once. After a partial one the
        // relay waits its interval like an idle one, so that rows gather into fewer, larger batches.
        if (result.published >= options.batch_size_max) continue;
        if (result.next_available_at) {
          wait_ms = Math.max(0, Math.min(wait_ms, result.next_available_at.getTime() - Date.now()));
        }
      } catch (error) {
        failures += 1;
        options.metrics?.runFailed();
        wait_ms = Math.min(options.poll_interval_ms * 2 ** Math.min(failures, 10), FAILURE_BACKOFF_MAX_MS);
        logger.error(
          { err: error, failures, retry_in_ms: wait_ms },
          'outbox relay run failed; rows stay unpublished',
        );
      }
      await wakeup.wait(wait_ms);
    }
  }

  return {
    runOnce,
    cleanupOnce,
    async start() {
      if (running) return;
      running = true;
      loop = runLoop();
      logger.info(
        { batch_size_max: options.batch_size_max, poll_interval_ms: options.poll_interval_ms },
        'outbox relay started',
      );
    },
    async stop() {
      running = false;
      wakeup.signal();
      await loop;
      loop = undefined;
      await producer.close();
      logger.info('outbox relay stopped');
    },
  };
}

/** A one-slot signal: `wait` returns at the timeout or at the next `signal`, including one sent before it. */
class Wakeup {
  private pending = false;
  private release: (() => void) | undefined;

  signal(): void {
    if (this.release) this.release();
    else this.pending = true;
  }

  wait(timeout_ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(resolve), timeout_ms);
      this.release = () => {
        clearTimeout(timer);
        this.finish(resolve);
      };
    });
  }

  private finish(resolve: () => void): void {
    this.release = undefined;
    resolve();
  }
}

async function withTimeout<T>(work: Promise<T>, timeout_ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeout_ms} ms`)), timeout_ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    // A publish abandoned by the timeout may still land later; that is a harmless duplicate.
    work.catch(() => undefined);
  }
}
