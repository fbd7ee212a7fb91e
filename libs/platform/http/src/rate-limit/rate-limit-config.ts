import Type, { type Static } from 'typebox';

/** Environment of the per-client rate limit, for apps to compose into their config schema. */
export const RateLimitConfigSchema = Type.Object({
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1200 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
});
export type RateLimitConfig = Static<typeof RateLimitConfigSchema>;
