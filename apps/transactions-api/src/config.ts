import Type, { type Static } from 'typebox';
import { ApiConfigSchema } from '@ledgerline/service';

/** The transactions API's environment: what every API reads, plus the transfer bounds it owns. */
export const TransactionsApiConfigSchema = Type.Object({
  ...ApiConfigSchema.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3002 }),
  /** How long an Idempotency-Key replays its response; the contract promises at least 24 h. */
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 86_400, maximum: 30 * 86_400, default: 86_400 }),
  /** How often expired idempotency keys are deleted (in bounded batches); 0 turns the sweeper off. */
  IDEMPOTENCY_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 600_000 }),
  /** A hold's lifetime when the request names none (7 days). */
  HOLD_EXPIRES_IN_SECONDS_DEFAULT: Type.Integer({ minimum: 1, maximum: 90 * 86_400, default: 7 * 86_400 }),
  /** The longest lifetime a request may give a hold (`hold_expires_in_seconds`); longer is a 400. */
  HOLD_EXPIRES_IN_SECONDS_MAX: Type.Integer({ minimum: 1, maximum: 90 * 86_400, default: 30 * 86_400 }),
  /** Upper bound of one accepting transaction (a 1000-transfer batch included). */
  TRANSFER_TRANSACTION_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 120_000, default: 15_000 }),
});
export type TransactionsApiConfig = Static<typeof TransactionsApiConfigSchema>;
