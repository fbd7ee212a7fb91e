import { Prisma, type Database } from '@ledgerline/db';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { createJobProducer, type RawJob } from '../jobs/producer';

/** The channel the `outbox_messages` insert trigger notifies. */
export const OUTBOX_CHANNEL = 'ledgerline_outbox';

export interface OutboxRelayOptions {
  db: Database;
  /** A producer connection (`createProducerConnection`); the relay never quits it. */
  connection: Redis;
  /** BullMQ key prefix, the same the workers use. */
  prefix: string;
  /**
   * Postgres URL for a dedicated `LISTEN` connection, which wakes the relay as soon as rows commit.
   * Without it the relay only polls.
   */
  listen_url?: string;
  /** Rows published per transaction (1..1000). */
  batch_size_max: number;
  /** The longest the relay sleeps between scans when nothing wakes it: the safety net behind LISTEN. */
  poll_interval_ms: number;
  /** A publish that takes longer is abandoned and its rows stay unpublished. Default 5 s. */
  publish_timeout_ms?: number;
  /** Published rows older than this are deleted. Default 7 days. */
  retention_ms?: number;
  /** How often the relay deletes old published rows. Default 1 minute. */
  cleanup_interval_ms?: number;
  logger: Logger;
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
  /** Starts the loop (and the LISTEN connection); returns once started. */
  start(): Promise<void>;
  /** Stops the loop after the current batch, and closes the LISTEN connection and the relay's queues. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: bigint;
  queue: string;
  job_name: string;
  job_id: string;
  payload: unknown;
  request_id: string | null;
}

const BATCH_SIZE_MAX = 1_000;
const CLEANUP_BATCH_SIZE = 1_000;
const CLEANUP_ROUNDS_MAX = 100;
const FAILURE_BACKOFF_MAX_MS = 30_000;
const LISTEN_RECONNECT_DELAY_MS = 2_000;
const LISTEN_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Builds the outbox relay.
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
  let listener: pg.Client | undefined;
  let listen_retry: NodeJS.Timeout | undefined;
  let redis_down_logged = false;

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
    const published = await options.db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id, queue, job_name, job_id, payload, request_id
          FROM outbox_messages
          WHERE published_at IS NULL AND available_at <= now()
          ORDER BY id
          LIMIT ${options.batch_size_max}
          FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return 0;
        const batch: RawJob[] = rows.map((row) => ({
          queue: row.queue,
          job_name: row.job_name,
          job_id: row.job_id,
          payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
        }));
        await withTimeout(producer.addBulk(batch), publish_timeout_ms, 'publishing outbox rows to Redis');
        await tx.$executeRaw`
          UPDATE outbox_messages SET published_at = now()
          WHERE id = ANY(${rows.map((row) => row.id.toString())}::bigint[])`;
        for (const row of rows) {
          logger.debug(
            { request_id: row.request_id ?? 'unknown', queue: row.queue, job_id: row.job_id },
            'outbox row published',
          );
        }
        return rows.length;
      },
      {
        isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
        maxWait: 5_000,
        timeout: publish_timeout_ms + 10_000,
      },
    );
    if (published > 0) logger.info({ published }, 'outbox rows published');
    if (published >= options.batch_size_max) return { published, redis_ready: true, next_available_at: null };
    const [next] = await options.db.$queryRaw<Array<{ next_available_at: Date | null }>>`
      SELECT min(available_at) AS next_available_at FROM outbox_messages
      WHERE published_at IS NULL AND available_at > now()`;
    return { published, redis_ready: true, next_available_at: next?.next_available_at ?? null };
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
        // A full batch means more rows are probably due: go again at once.
        if (result.published >= options.batch_size_max) continue;
        if (result.next_available_at) {
          wait_ms = Math.max(0, Math.min(wait_ms, result.next_available_at.getTime() - Date.now()));
        }
        if (result.redis_ready && Date.now() - cleaned_at >= cleanup_interval_ms) {
          cleaned_at = Date.now();
          await cleanupOnce();
        }
      } catch (error) {
        failures += 1;
        wait_ms = Math.min(options.poll_interval_ms * 2 ** Math.min(failures, 10), FAILURE_BACKOFF_MAX_MS);
        logger.error(
          { err: error, failures, retry_in_ms: wait_ms },
          'outbox relay run failed; rows stay unpublished',
        );
      }
      await wakeup.wait(wait_ms);
    }
  }

  async function listen(): Promise<void> {
    if (!options.listen_url || !running) return;
    const client = new pg.Client({
      connectionString: options.listen_url,
      application_name: 'ledgerline-outbox-relay',
      connectionTimeoutMillis: LISTEN_CONNECT_TIMEOUT_MS,
      // An idle LISTEN connection would otherwise not notice a dead peer; polling covers the gap.
      keepAlive: true,
    });
    listener = client;
    const reconnect = (error: unknown) => {
      if (listener !== client) return;
      listener = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (!running) return;
      logger.warn(
        { err: error, retry_in_ms: LISTEN_RECONNECT_DELAY_MS },
        'outbox LISTEN connection lost; polling until it is back',
      );
      listen_retry = setTimeout(() => void listen(), LISTEN_RECONNECT_DELAY_MS);
    };
    client.on('notification', () => wakeup.signal());
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      // Rows committed while nobody listened are picked up at once.
      wakeup.signal();
    } catch (error) {
      reconnect(error);
    }
  }

  return {
    runOnce,
    cleanupOnce,
    async start() {
      if (running) return;
      running = true;
      await listen();
      loop = runLoop();
      logger.info(
        { batch_size_max: options.batch_size_max, poll_interval_ms: options.poll_interval_ms },
        'outbox relay started',
      );
    },
    async stop() {
      running = false;
      if (listen_retry) clearTimeout(listen_retry);
      wakeup.signal();
      await loop;
      loop = undefined;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
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
