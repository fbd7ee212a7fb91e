import Type, { type Static } from 'typebox';
import { HttpConfigSchema, LogConfigSchema } from '@ledgerline/config';

/** The Node gateway's environment (the one-process stand-in for nginx): where it listens and its upstreams. */
export const GatewayConfigSchema = Type.Object({
  ...HttpConfigSchema.properties,
  ...LogConfigSchema.properties,
  /** Where accounts-api answers (and every path no other service owns). */
  ACCOUNTS_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  /** Where transactions-api answers (`/v1/transfers`, `/v1/deposits`, `/v1/withdrawals`). */
  TRANSACTIONS_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3002' }),
  /** Where ops-api answers (`/v1/ops`, `/admin`). */
  OPS_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3003' }),
  /** Where compliance-api answers (`/v1/compliance`). */
  COMPLIANCE_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3004' }),
  /** An upstream that has not answered by then gets the client a 504 problem (above the 30 s of `Prefer: wait`). */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 35_000 }),
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;
