import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Shown by `CLIENT LIST`, so operators can tell which process holds a connection. */
  connection_name: string;
  logger: Logger;
}

const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_DELAY_MAX_MS = 5_000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A connection for code that adds jobs. With `enableOfflineQueue: false` a command issued while Redis is
 * unreachable fails at once instead of waiting in memory, so a caller (an HTTP request, the outbox relay)
 * finds out immediately and can leave the work to a retry. The caller owns `quit()`.
 */
export function createProducerConnection(options: RedisConnectionOptions): Redis {
  return withErrorLogging(
    new Redis(options.url, {
      connectionName: options.connection_name,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: reconnectDelay,
    }),
    options.logger,
  );
}

/**
 * A connection for BullMQ workers. Workers block on Redis and must survive reconnects, so BullMQ requires
 * `maxRetriesPerRequest: null` (retry commands until the connection is back). The caller owns `quit()`,
 * after `worker.close()`.
 */
export function createWorkerConnection(options: RedisConnectionOptions): Redis {
  return withErrorLogging(
    new Redis(options.url, {
      connectionName: options.connection_name,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: reconnectDelay,
    }),
    options.logger,
  );
}

/** The two connections of a process that both works jobs and adds them (see createQueueConnections). */
export interface QueueConnections {
  /** For adding jobs: commands fail at once while Redis is away (createProducerConnection). */
  producer: Redis;
  /** For BullMQ workers: commands wait out a reconnect (createWorkerConnection). */
  worker: Redis;
  /** Quits both, after the workers and producers on them are closed; a connection already gone is fine. */
  quit(): Promise<void>;
}

/**
 * A worker process's pair of connections: BullMQ needs opposite retry settings for the two jobs, so one
 * connection cannot serve both. `CLIENT LIST` shows them as `<connection_name>` and `<connection_name>-producer`.
 */
export function createQueueConnections(options: RedisConnectionOptions): QueueConnections {
  const producer = createProducerConnection({
    ...options,
    connection_name: `${options.connection_name}-producer`,
  });
  const worker = createWorkerConnection(options);
  return {
    producer,
    worker,
    async quit() {
      await Promise.all([producer.quit(), worker.quit()].map((quit) => quit.catch(() => undefined)));
    },
  };
}

/** How long a starting process waits for its Redis connection before it starts anyway (see waitForReady). */
const STARTUP_WAIT_MS = 2_000;

/**
 * Resolves once `connection` is ready, at its first error, or after `timeout_ms`, whichever comes
 * first; true when it is ready. A producer connection refuses commands until then (no offline queue),
 * so a process that starts working at once would find Redis "down" for the few milliseconds the
 * connection takes to open, and say so (or refuse its first requests). A process that starts anyway
 * waits out an outage as it would later on.
 */
export async function waitForReady(connection: Redis, timeout_ms = STARTUP_WAIT_MS): Promise<boolean> {
  const isReady = () => connection.status === 'ready';
  if (isReady()) return true;
  const waited = new AbortController();
  try {
    await Promise.race([
      once(connection, 'ready', { signal: waited.signal }),
      sleep(timeout_ms, undefined, { signal: waited.signal }),
    ]);
  } catch {
    // `once` rejects at the first error: the caller carries on and sees the status below.
  } finally {
    waited.abort();
  }
  return isReady();
}

function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 10), RECONNECT_DELAY_MAX_MS);
}

/**
 * ioredis emits `error` on every failed reconnect; without a listener it prints to stderr, with a naive
 * one it floods the log. Log the first error of an outage, then at most one every 10 s.
 */
function withErrorLogging(connection: Redis, logger: Logger): Redis {
  let last_logged_at = 0;
  connection.on('error', (error: Error) => {
    const now = Date.now();
    if (now - last_logged_at < ERROR_LOG_INTERVAL_MS) return;
    last_logged_at = now;
    logger.warn(
      { err: error, redis_connection: connection.options.connectionName },
      'redis connection error',
    );
  });
  connection.on('ready', () => {
    if (last_logged_at !== 0)
      logger.info({ redis_connection: connection.options.connectionName }, 'redis connection ready');
    last_logged_at = 0;
  });
  return connection;
}
