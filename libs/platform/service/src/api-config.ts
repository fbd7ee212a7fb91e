import { isIP } from 'node:net';
import Type, { type Static } from 'typebox';
import { AuthConfigSchema, jwtOptionsFromConfig } from '@ledgerline/auth';
import {
  ConfigError,
  DatabaseConfigSchema,
  HttpConfigSchema,
  LogConfigSchema,
  RedisConfigSchema,
} from '@ledgerline/config';
import { RateLimitConfigSchema } from '@ledgerline/http';
import type { ApiAppOptions } from './build-api-app';

/**
 * The environment every API built with {@link buildApiApp} reads: where it listens, Postgres, Redis
 * and the queue prefix, logs, rate limits, token verification, and TRUST_PROXY (set it behind the
 * gateway or a load balancer, so rate limits, the login lockout and logs see the client's address;
 * see {@link trustProxyOf}). An app spreads it and adds its own `PORT` default and settings.
 */
export const ApiConfigSchema = Type.Object({
  ...HttpConfigSchema.properties,
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...RateLimitConfigSchema.properties,
  ...AuthConfigSchema.properties,
  /**
   * Which proxies' X-Forwarded-For to believe: `false`, `true`, a hop count, or addresses and ranges
   * (`loopback`, `10.0.0.0/8`, ...). Set it behind the gateway or a load balancer, so that rate limits,
   * the login lockout and logs see the client's address.
   */
  TRUST_PROXY: Type.String({ minLength: 1, maxLength: 1_000, default: 'false' }),
});
export type ApiConfig = Static<typeof ApiConfigSchema>;

/** The options of {@link buildApiApp} that come from the configuration (all but the connections). */
export function apiAppOptionsFromConfig(
  config: ApiConfig,
): Omit<ApiAppOptions, 'service_name' | 'openapi' | 'db' | 'redis'> {
  return {
    jwt: jwtOptionsFromConfig(config),
    key_prefix: config.QUEUE_PREFIX,
    log_level: config.LOG_LEVEL,
    body_limit_bytes: config.BODY_LIMIT_BYTES,
    trust_proxy: trustProxyOf(config.TRUST_PROXY),
    rate_limit: { max: config.RATE_LIMIT_MAX, time_window_ms: config.RATE_LIMIT_WINDOW_MS },
  };
}

/** Names proxy-addr knows for address ranges: 127.0.0.1/8 and ::1, 169.254.0.0/16 and fe80::/10, private ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Which peers may tell a service the client's address in X-Forwarded-For (Fastify's `trustProxy`):
 * - `false` (the default): none; the address is the peer's.
 * - a list of addresses, CIDR ranges or `loopback` / `linklocal` / `uniquelocal`, comma-separated: only
 *   peers in it, which is what to set (`npm start`: `loopback`, the gateway beside the services); a
 *   request that reaches the service from anywhere else cannot choose its address.
 * - `true`: every peer. Only where nothing but the proxy can reach the service.
 * Throws a one-line `ConfigError` for anything else.
 */
export function trustProxyOf(value: string): boolean | string {
  if (value === 'true' || value === 'false') return value === 'true';
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const validPrefix =
      prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!RANGE_NAMES.has(entry) && (family === 0 || !validPrefix || rest.length > 0)) {
      throw new ConfigError(
        `Invalid configuration: TRUST_PROXY must be true, false, or addresses, CIDR ranges, loopback, linklocal or uniquelocal, comma-separated (got ${JSON.stringify(entry)})`,
      );
    }
  }
  return entries.join(',');
}
