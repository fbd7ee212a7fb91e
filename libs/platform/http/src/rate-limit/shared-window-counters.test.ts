// The shared test services (Postgres and Redis of the run) live in the db library's testing entry.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { testServices, uniqueQueuePrefix } from '@ledgerline/db/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSharedWindowCounters, type SharedWindowCounters } from './shared-window-counters';

const WINDOW_MS = 60_000;
let redis: Redis;
const key_prefix = `${uniqueQueuePrefix()}:rate-limit:`;
const opened: SharedWindowCounters[] = [];

/** An instance's counters with a clock the test holds (syncs are called by the test, not the timer). */
function instance(options: { clock?: () => number; tracked_keys_max?: number; redis?: Redis } = {}) {
  const states: boolean[] = [];
  const counters = createSharedWindowCounters({
    redis: options.redis ?? redis,
    key_prefix,
    sync_interval_ms: 3_600_000,
    tracked_keys_max: options.tracked_keys_max ?? 1_000,
    on_sync_state: (state) => states.push(state.ok),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  opened.push(counters);
  return { counters, states };
}

function counts(counters: SharedWindowCounters, key: string, requests: number): number[] {
  return Array.from({ length: requests }, () => counters.increment(key, WINDOW_MS).current);
}

beforeAll(() => {
  redis = new Redis(testServices().redis_url, { maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((counters) => counters.close()));
});

afterAll(async () => {
  const keys = await redis.keys(`${key_prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('shared window counters', () => {
  it('counts in memory without waiting, and sync adds the counts to one expiring Redis key per window', async () => {
    const now = 1_700_000_000_000 + 1_000;
    const { counters } = instance({ clock: () => now });
    expect(counts(counters, 'client:a', 3)).toEqual([1, 2, 3]);
    const window_start = now - (now % WINDOW_MS);
    const key = `${key_prefix}client:a:${window_start}`;
    expect(await redis.get(key)).toBeNull();

    await counters.sync();
    expect(await redis.get(key)).toBe('3');
    // The key lives for the rest of its window (plus a little slack for late clocks), not for ever.
    const ttl_ms = await redis.pttl(key);
    expect(ttl_ms).toBeGreaterThan(0);
    expect(ttl_ms).toBeLessThanOrEqual(window_start + WINDOW_MS - now + 5_000);
    // Nothing new: a sync sends nothing and the total stays.
    await counters.sync();
    expect(await redis.get(key)).toBe('3');
  });

  it("sees other instances' requests from the sync after they were sent", async () => {
    const now = 1_700_000_100_000 + 2_000;
    const a = instance({ clock: () => now }).counters;
    const b = instance({ clock: () => now }).counters;
    counts(a, 'client:shared', 6);
    await a.sync();
    // B has not synced yet: it knows its own request only.
    expect(b.increment('client:shared', WINDOW_MS).current).toBe(1);
    await b.sync();
    // B's total now holds A's six; A learns of B's one at its next sync.
    expect(b.increment('client:shared', WINDOW_MS).current).toBe(8);
    expect(a.increment('client:shared', WINDOW_MS).current).toBe(7);
    await a.sync();
    expect(a.increment('client:shared', WINDOW_MS).current).toBe(9); // B's last one is not synced yet
  });

  it('starts a new count when the window turns, and reports the time left in it', async () => {
    let now = 28_333_337 * WINDOW_MS + 59_000;
    const { counters } = instance({ clock: () => now });
    counts(counters, 'client:b', 2);
    expect(counters.increment('client:b', WINDOW_MS)).toEqual({ current: 3, ttl: 1_000 });
    now += 1_500;
    expect(counters.increment('client:b', WINDOW_MS)).toEqual({ current: 1, ttl: 59_500 });
    await counters.sync();
    expect(await redis.get(`${key_prefix}client:b:${now - (now % WINDOW_MS)}`)).toBe('1');
    expect(await redis.get(`${key_prefix}client:b:${now - (now % WINDOW_MS) - WINDOW_MS}`)).toBeNull();
    // The ended window's entry is dropped at the next sync; only the current one stays tracked.
    expect(counters.tracked_keys).toBe(1);
  });

  it('keeps counting locally while Redis is unreachable, says so once, and sends the counts when it is back', async () => {
    const now = 1_700_000_300_000 + 5_000;
    const flaky = new Redis(testServices().redis_url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    await flaky.connect();
    const { counters, states } = instance({ clock: () => now, redis: flaky });
    const ended = new Promise((resolve) => flaky.once('end', resolve));
    flaky.disconnect();
    await ended;
    expect(counts(counters, 'client:c', 4)).toEqual([1, 2, 3, 4]);
    await counters.sync();
    await counters.sync();
    expect(states).toEqual([false]);
    // Still counted here: the budget holds on this instance even without Redis.
    expect(counters.increment('client:c', WINDOW_MS).current).toBe(5);

    await flaky.connect();
    await counters.sync();
    expect(states).toEqual([false, true]);
    // The increments kept through the outage all arrive.
    expect(await redis.get(`${key_prefix}client:c:${now - (now % WINDOW_MS)}`)).toBe('5');
    expect(counters.increment('client:c', WINDOW_MS).current).toBe(6);
    await counters.close();
    flaky.disconnect();
  });

  it('closes after at most a second when the last sync cannot finish, so a shutdown never hangs on Redis', async () => {
    // A client that queues commands while it keeps failing to connect: its sync never ends by itself.
    const hanging = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      retryStrategy: () => 50,
    });
    hanging.on('error', () => undefined);
    const { counters } = instance({ redis: hanging });
    counters.increment('client:d', WINDOW_MS);
    const started_ms = performance.now();
    await counters.close();
    expect(performance.now() - started_ms).toBeLessThan(5_000);
    hanging.disconnect();
  }, 10_000);

  it('tracks a bounded number of callers, forgetting the oldest first', () => {
    const now = 1_700_000_400_000;
    const { counters } = instance({ clock: () => now, tracked_keys_max: 3 });
    for (const key of ['ip:1', 'ip:2', 'ip:3', 'ip:4']) counters.increment(key, WINDOW_MS);
    expect(counters.tracked_keys).toBe(3);
    expect(counters.increment('ip:4', WINDOW_MS).current).toBe(2);
    // ip:1 was forgotten and counts from one again.
    expect(counters.increment('ip:1', WINDOW_MS).current).toBe(1);
  });
});
