import Type, { type Static } from 'typebox';
import { AuthConfigSchema, jwtOptionsFromConfig } from '@ledgerline/auth';
import { DatabaseConfigSchema, HttpConfigSchema, LogConfigSchema, RedisConfigSchema } from '@ledgerline/config';
import { RateLimitConfigSchema } from '@ledgerline/http';
import type { ApiAppOptions } from './build-api-app';

/**
 * The environment every API built with {@link buildApiApp} reads: where it listens, Postgres, Redis
 * and the queue prefix, logs, rate limits, token verification, and TRUST_PROXY (set it behind the
 * gateway or a load balancer, so rate limits and logs see the client's address). An app spreads it
 * and adds its own `PORT` default and settings.
 */
export const ApiConfigSchema = Type.Object({
  ...HttpConfigSchema.properties,
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...RateLimitConfigSchema.properties,
  ...AuthConfigSchema.properties,
  TRUST_PROXY: Type.Boolean({ default: false }),
});
export type ApiConfig = Static<typeof ApiConfigSchema>;

/** The options of {@link buildApiApp} that come from the configuration (all but the connections). */
export function apiAppOptionsFromConfig(config: ApiConfig): Omit<ApiAppOptions, 'service_name' | 'openapi' | 'db' | 'redis'> {
  return {
    jwt: jwtOptionsFromConfig(config),
    key_prefix: config.QUEUE_PREFIX,
    log_level: config.LOG_LEVEL,
    body_limit_bytes: config.BODY_LIMIT_BYTES,
    trust_proxy: config.TRUST_PROXY,
    rate_limit: { max: config.RATE_LIMIT_MAX, time_window_ms: config.RATE_LIMIT_WINDOW_MS },
  };
}
