import { createHash } from 'node:crypto';
import { addressKeyOf } from '@ledgerline/http';
import type { Redis } from 'ioredis';

export interface LoginThrottleOptions {
  redis: Redis;
  key_prefix: string;
  /**
   * Failed attempts for one client id from one address, within the window, before that client is
   * locked for that address. Not for the client id everywhere: a lock anyone could trigger from
   * anywhere would let a stranger who knows a client id lock a bank's backend out with a few wrong
   * secrets. Guessing across many addresses gains nothing either, since secrets are at least 32
   * characters (generated ones 256 random bits); the per-address count bounds each address.
   */
  failures_max_per_client: number;
  /** Failed attempts from one address, within the window, before it is locked. */
  failures_max_per_ip: number;
  /** The window starts with the first failure; a lock lasts until the window ends. */
  window_ms: number;
}

const DECREMENT_IF_PRESENT =
  "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0";

export type ThrottleDecision = { allowed: true } | { allowed: false; retry_after_seconds: number };

export interface LoginThrottle {
  /** Counts an attempt before the secret is checked; refuses it when the client (from this address) or the address is locked. */
  begin(client_id: string, ip: string): Promise<ThrottleDecision>;
  /** Takes back the attempt of a successful login (and forgets the client's earlier failures from this address). */
  succeeded(client_id: string, ip: string): Promise<void>;
}

/**
 * Failure counting for `/v1/auth/token` in Redis, shared by all instances. Every attempt is counted
 * *before* the secret is checked and taken back on success, so a burst of parallel guesses cannot
 * slip through between a check and an increment. Unknown client ids are counted like known ones.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  // Hashed: client ids are caller-chosen strings of up to 128 characters, and the key should not hold them.
  const clientKey = (client_id: string, ip: string) =>
    `${options.key_prefix}:auth-failures:client:${createHash('sha256').update(`${client_id}\n${ip}`).digest('hex').slice(0, 32)}`;
  const ipKey = (ip: string) => `${options.key_prefix}:auth-failures:ip:${addressKeyOf(ip)}`;

  return {
    async begin(client_id, ip) {
      const client = clientKey(client_id, ip);
      const address = ipKey(ip);
      const results = await options.redis
        .multi()
        // SET NX starts the window at the first attempt; INCR keeps the key's expiry.
        .set(client, 0, 'PX', options.window_ms, 'NX')
        .incr(client)
        .pttl(client)
        .set(address, 0, 'PX', options.window_ms, 'NX')
        .incr(address)
        .pttl(address)
        .exec();
      if (results === null) throw new Error('login throttle transaction was aborted');
      for (const [error] of results) if (error) throw error;
      const value = (index: number) => Number(results[index]![1]);
      const waits: number[] = [];
      if (value(1) > options.failures_max_per_client) waits.push(value(2));
      if (value(4) > options.failures_max_per_ip) waits.push(value(5));
      if (waits.length === 0) return { allowed: true };
      return { allowed: false, retry_after_seconds: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
    },

    async succeeded(client_id, ip) {
      await options.redis.del(clientKey(client_id, ip));
      // Only while the window lasts: a DECR on an expired key would create one that never expires.
      await options.redis.eval(DECREMENT_IF_PRESENT, 1, ipKey(ip));
    },
  };
}
