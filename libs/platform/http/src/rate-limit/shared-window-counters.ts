import assert from 'node:assert/strict';
import type { Redis, Result } from 'ioredis';

/** What one increment reports, in @fastify/rate-limit's store shape. */
export interface WindowCount {
  /** Requests counted in the current window, this one included: ours and, as of the last sync, other instances'. */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

export interface SharedWindowCountersOptions {
  redis: Redis;
  /** Prefix of the Redis keys; each key is `<prefix><caller key>:<window start ms>`. */
  key_prefix: string;
  /** How often local increments are added to Redis and the shared totals read back. */
  sync_interval_ms: number;
  /** Callers tracked at once; past it the oldest is forgotten (and its unsynced increments with it). */
  tracked_keys_max: number;
  /** Told when syncing starts failing and when it works again (a Redis outage is logged twice, not per tick). */
  on_sync_state?: (state: { ok: true } | { ok: false; error: unknown }) => void;
  /** The wall clock; tests move it across windows. */
  clock?: () => number;
}

export interface SharedWindowCounters {
  /** Counts one request of `key` in the fixed window of `window_ms` that holds now. Never waits. */
  increment(key: string, window_ms: number): WindowCount;
  /** Adds every unsynced increment to Redis and reads the shared totals back, in one round trip. */
  sync(): Promise<void>;
  /** Callers currently tracked in memory. */
  readonly tracked_keys: number;
  /**
   * Stops the timer after one last sync, waited for at most `CLOSE_SYNC_WAIT_MS`: a shutdown never
   * hangs on Redis, and counts lost then only let a caller a little further in a window already under way.
   */
  close(): Promise<void>;
}

interface Tracked {
  redis_key: string;
  window_start_ms: number;
  window_end_ms: number;
  /** The shared total of the window as Redis last reported it, our own synced increments included. */
  shared: number;
  /** Increments not yet sent. */
  unsynced: number;
  /** Increments sent and not yet acknowledged. */
  in_flight: number;
}

// INCRBY, and the expiry set by whichever instance creates the key, in one atomic step: a key never
// lives without its expiry, whatever crashes in between.
const ADD_TO_WINDOW_LUA = `
  local total = redis.call('INCRBY', KEYS[1], ARGV[1])
  if total == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return total`;

const CLOSE_SYNC_WAIT_MS = 1_000;

/** A key outlives its window by this much, so an instance whose clock runs late still finds it. */
const KEY_EXPIRY_SLACK_MS = 5_000;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ledgerlineAddToWindow(key: string, increment: number, expiry_ms: number): Result<number, Context>;
  }
}

/**
 * Fixed-window request counters kept in process memory and shared through Redis in the background.
 *
 * Why not count in Redis on every request (@fastify/rate-limit's RedisStore): that is a round trip per
 * request, on a machine where the message is the unit of cost, and with Redis down it lets every
 * request through. Here a request costs a map lookup; every `sync_interval_ms` one pipeline adds each
 * caller's new requests to its window's key and returns the shared total. Windows are aligned to the
 * epoch, so every instance agrees on them without talking.
 *
 * The price is a bounded overshoot: another instance's requests are seen one sync later, so a
 * client spread over N instances can exceed its budget by what it sends in about one interval per
 * instance. With Redis unreachable each instance still enforces the budget on what it sees itself.
 */
export function createSharedWindowCounters(options: SharedWindowCountersOptions): SharedWindowCounters {
  const { redis, key_prefix, sync_interval_ms, tracked_keys_max } = options;
  const clock = options.clock ?? Date.now;
  const tracked = new Map<string, Tracked>();
  let syncing: Promise<void> | null = null;
  let failing = false;
  let closed = false;

  if (typeof redis.ledgerlineAddToWindow !== 'function') {
    redis.defineCommand('ledgerlineAddToWindow', { numberOfKeys: 1, lua: ADD_TO_WINDOW_LUA });
  }

  function windowOf(key: string, window_ms: number, now_ms: number): Tracked {
    const window_start_ms = now_ms - (now_ms % window_ms);
    const map_key = `${window_ms}:${key}`;
    const existing = tracked.get(map_key);
    if (existing !== undefined && existing.window_start_ms === window_start_ms) return existing;
    // A new window (or a new caller): whatever was counted before belongs to a window that is over.
    tracked.delete(map_key);
    if (tracked.size >= tracked_keys_max) {
      const oldest = tracked.keys().next().value;
      if (oldest !== undefined) tracked.delete(oldest);
    }
    const fresh: Tracked = {
      redis_key: `${key_prefix}${key}:${window_start_ms}`,
      window_start_ms,
      window_end_ms: window_start_ms + window_ms,
      shared: 0,
      unsynced: 0,
      in_flight: 0,
    };
    tracked.set(map_key, fresh);
    return fresh;
  }

  async function syncOnce(): Promise<void> {
    const now_ms = clock();
    const batch: Array<{ entry: Tracked; sent: number }> = [];
    for (const [map_key, entry] of tracked) {
      if (entry.window_end_ms <= now_ms) {
        tracked.delete(map_key);
      } else if (entry.unsynced > 0) {
        batch.push({ entry, sent: entry.unsynced });
        entry.in_flight += entry.unsynced;
        entry.unsynced = 0;
      }
    }
    if (batch.length === 0) return;
    const pipeline = redis.pipeline();
    for (const { entry, sent } of batch) {
      pipeline.ledgerlineAddToWindow(
        entry.redis_key,
        sent,
        entry.window_end_ms - now_ms + KEY_EXPIRY_SLACK_MS,
      );
    }
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      replies = batch.map(() => [error instanceof Error ? error : new Error(String(error)), null]);
    }
    let firstError: unknown = null;
    batch.forEach(({ entry, sent }, index) => {
      entry.in_flight -= sent;
      const [error, total] = replies?.[index] ?? [new Error('no reply'), null];
      if (error === null && typeof total === 'number') {
        // `total` holds everything every instance sent so far, ours included; a later window's entry
        // replaced this one if the window ended meanwhile, and then this result is simply unused.
        entry.shared = Math.max(entry.shared, total);
      } else {
        // Kept for the next sync, so a passing fault loses nothing; meanwhile they still count here.
        entry.unsynced += sent;
        firstError ??= error;
      }
    });
    reportState(firstError);
  }

  function reportState(error: unknown): void {
    if (error !== null && !failing) {
      failing = true;
      options.on_sync_state?.({ ok: false, error });
    } else if (error === null && failing) {
      failing = false;
      options.on_sync_state?.({ ok: true });
    }
  }

  function sync(): Promise<void> {
    // One sync at a time: a slow Redis makes ticks merge instead of piling up pipelines.
    syncing ??= syncOnce().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  const timer = setInterval(() => {
    void sync();
  }, sync_interval_ms);
  timer.unref();

  return {
    increment(key, window_ms) {
      assert.ok(
        Number.isInteger(window_ms) && window_ms >= 1,
        `window_ms must be a positive integer, got ${window_ms}`,
      );
      const now_ms = clock();
      const entry = windowOf(key, window_ms, now_ms);
      entry.unsynced += 1;
      return {
        // `shared` already holds our acknowledged increments; add what Redis has not seen from us yet.
        current: entry.shared + entry.in_flight + entry.unsynced,
        ttl: entry.window_end_ms - now_ms,
      };
    },
    sync,
    get tracked_keys() {
      return tracked.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      let gaveUp: NodeJS.Timeout | undefined;
      await Promise.race([
        sync().catch(() => undefined),
        new Promise<void>((resolve) => {
          gaveUp = setTimeout(resolve, CLOSE_SYNC_WAIT_MS);
        }),
      ]);
      clearTimeout(gaveUp);
    },
  };
}
