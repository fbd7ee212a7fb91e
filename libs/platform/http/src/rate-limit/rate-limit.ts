import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ProblemError } from '../problems/problem-error';
import {
  createSharedWindowCounters,
  type SharedWindowCounters,
  type WindowCount,
} from './shared-window-counters';

export interface RateLimitOptions {
  /** Requests one caller may make per window. */
  max: number;
  time_window_ms: number;
  /**
   * Where instances share their counts, so the limit holds across them (see
   * {@link createSharedWindowCounters}). Without it counters live in process memory alone, which is
   * only right for tests and single-instance development. Give it a client that fails fast
   * (`enableOfflineQueue: false`): counting never waits on Redis, and while Redis is down each
   * instance limits what it sees.
   */
  redis?: Redis;
  /** Prefix of the Redis keys; tests use a unique one per file. */
  key_prefix?: string;
  /** How often an instance shares its counts through Redis. Default 100 ms. */
  sync_interval_ms?: number;
}

/** Callers (client ids and addresses) one instance tracks at once; about 200 bytes each. */
const TRACKED_KEYS_MAX = 20_000;
const SYNC_INTERVAL_MS_DEFAULT = 100;

/** The rate-limit key: the authenticated client when known, else the client address. */
export function rateLimitKeyOf(request: FastifyRequest): string {
  return request.principal === null
    ? `ip:${addressKeyOf(request.ip)}`
    : `client:${request.principal.client_id}`;
}

/**
 * A client address as part of a Redis key: the address itself when it is one, else a short hash. With
 * TRUST_PROXY the address comes from X-Forwarded-For, which a request that reaches a service without
 * the edge could fill with anything (kilobytes of it); the key must stay small either way.
 */
export function addressKeyOf(address: string): string {
  return isIP(address) === 0
    ? `h-${createHash('sha256').update(address).digest('hex').slice(0, 32)}`
    : address;
}

/**
 * Rate limiting on every route registered after this. It runs at `preValidation`, after the auth
 * plugin's `onRequest` hook has set `request.principal`, so an authenticated client gets its own
 * budget wherever it calls from; unauthenticated requests share the budget of their address.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const counters =
    options.redis === undefined
      ? undefined
      : createSharedWindowCounters({
          redis: options.redis,
          key_prefix: `${options.key_prefix ?? 'ledgerline'}:rate-limit:`,
          sync_interval_ms: options.sync_interval_ms ?? SYNC_INTERVAL_MS_DEFAULT,
          tracked_keys_max: TRACKED_KEYS_MAX,
          on_sync_state: (state) => {
            if (state.ok) app.log.info('rate-limit counts are shared through Redis again');
            else
              app.log.warn(
                { err: state.error },
                'rate-limit counts cannot reach Redis; each instance limits on its own',
              );
          },
        });
  // preClose: onClose hooks run last-registered first, so the service's own (which quits Redis) would
  // run before ours and the last sync would find Redis gone.
  if (counters !== undefined) app.addHook('preClose', () => counters.close());
  await app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    max: options.max,
    timeWindow: options.time_window_ms,
    ...(counters === undefined ? {} : { store: sharedWindowStore(counters) }),
    keyGenerator: rateLimitKeyOf,
    // Neither store can fail today (both count in memory); should one throw, a limiter fault must not take the API down.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new ProblemError(
        'rate_limited',
        `Too many requests; retry in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
        {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
        },
      ),
  });
}

/**
 * @fastify/rate-limit's store over shared window counters. A route with a limit of its own gets a child
 * store with its own keys; the plugin passes the route as `routeInfo` of the merged options (its
 * RedisStore reads it there too), while its types name the route options themselves.
 */
function sharedWindowStore(counters: SharedWindowCounters, key_scope = ''): new () => FastifyRateLimitStore {
  return class SharedWindowStore implements FastifyRateLimitStore {
    incr(
      key: string,
      callback: (error: Error | null, count: WindowCount) => void,
      time_window_ms: number,
    ): void {
      callback(null, counters.increment(`${key_scope}${key}`, time_window_ms));
    }

    child(route_options: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const route =
        (route_options as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo ?? route_options;
      const Child = sharedWindowStore(
        counters,
        `${key_scope}${String(route.method ?? '')}${String(route.url ?? '')}-`,
      );
      return new Child();
    }
  };
}
