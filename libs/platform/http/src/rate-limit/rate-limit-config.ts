import Type, { type Static } from 'typebox';

/** Environment of the per-client rate limit, for apps to compose into their config schema. */
export const RateLimitConfigSchema = Type.Object({
  /** Requests one caller (its API client, else its address) may make per window, counted across instances; beyond it, 429 with Retry-After. */
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1200 }),
  /** The rate limit's window. */
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
});
export type RateLimitConfig = Static<typeof RateLimitConfigSchema>;
