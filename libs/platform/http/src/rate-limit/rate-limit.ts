import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ProblemError } from '../problems/problem-error';

export interface RateLimitOptions {
  /** Requests one caller may make per window. */
  max: number;
  time_window_ms: number;
  /**
   * Shared store, so the limit holds across instances. Without it counters live in process memory,
   * which is only right for tests and single-instance development. Give it a client that fails fast
   * (`enableOfflineQueue: false`, `maxRetriesPerRequest: 1`): when Redis is down requests go through
   * unlimited rather than waiting on it.
   */
  redis?: Redis;
  /** Prefix of the Redis keys; tests use a unique one per file. */
  key_prefix?: string;
}

/** The rate-limit key: the authenticated client when known, else the client address. */
export function rateLimitKeyOf(request: FastifyRequest): string {
  return request.principal === null ? `ip:${addressKeyOf(request.ip)}` : `client:${request.principal.client_id}`;
}

/**
 * A client address as part of a Redis key: the address itself when it is one, else a short hash. With
 * TRUST_PROXY the address comes from X-Forwarded-For, which a request that reaches a service without
 * the edge could fill with anything (kilobytes of it); the key must stay small either way.
 */
export function addressKeyOf(address: string): string {
  return isIP(address) === 0 ? `h-${createHash('sha256').update(address).digest('hex').slice(0, 32)}` : address;
}

/**
 * Rate limiting on every route registered after this. It runs at `preValidation`, after the auth
 * plugin's `onRequest` hook has set `request.principal`, so an authenticated client gets its own
 * budget wherever it calls from; unauthenticated requests share the budget of their address.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    max: options.max,
    timeWindow: options.time_window_ms,
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    nameSpace: `${options.key_prefix ?? 'ledgerline'}:rate-limit:`,
    keyGenerator: rateLimitKeyOf,
    // Redis being down should not take the API down with it; /readyz reports Redis separately.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new ProblemError('rate_limited', `Too many requests; retry in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
}
