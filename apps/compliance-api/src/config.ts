import Type, { type Static } from 'typebox';
import { DatabaseConfigSchema, HttpConfigSchema, LogConfigSchema, RedisConfigSchema } from '@ledgerline/config';
import { AuthConfigSchema } from '@ledgerline/auth';
import { RateLimitConfigSchema } from '@ledgerline/http';

/** The compliance API's environment: the shared fragments. */
export const ComplianceApiConfigSchema = Type.Object({
  ...HttpConfigSchema.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3004 }),
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...RateLimitConfigSchema.properties,
  ...AuthConfigSchema.properties,
  /** Set when behind the gateway or a load balancer, so rate limits and logs see the client's address. */
  TRUST_PROXY: Type.Boolean({ default: false }),
});
export type ComplianceApiConfig = Static<typeof ComplianceApiConfigSchema>;
