import Type, { type Static } from 'typebox';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { Decimal } from '@ledgerline/money';

/** A non-negative decimal string, as amounts are written in the contract ("10000", "9999.99"). */
const THRESHOLD_AMOUNT = '^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$';
const COUNTRY_LIST = '^(none|[A-Z]{2}(,[A-Z]{2})*)$';

/**
 * The compliance rules' thresholds (the contract's defaults), for every process that applies them:
 * the compliance worker screens transfers with them and runs the reports with them. Amount thresholds
 * apply to a transfer's amount in its own currency.
 */
export const ComplianceRulesConfigSchema = Type.Object({
  /** A transfer of at least this amount is held for review. */
  COMPLIANCE_LARGE_AMOUNT_MIN: Type.String({ pattern: THRESHOLD_AMOUNT, default: '10000' }),
  /** Structuring: the lowest amount of a transfer that counts towards a structuring pattern. */
  COMPLIANCE_STRUCTURING_AMOUNT_MIN: Type.String({ pattern: THRESHOLD_AMOUNT, default: '8000' }),
  /** Structuring: the highest amount of a transfer that counts (just under the large-amount threshold). */
  COMPLIANCE_STRUCTURING_AMOUNT_MAX: Type.String({ pattern: THRESHOLD_AMOUNT, default: '9999.99' }),
  /** Structuring: a customer's transfers in that range within the window hold once they number this many. */
  COMPLIANCE_STRUCTURING_TRANSFERS_MIN: Type.Integer({ minimum: 2, maximum: 1_000, default: 3 }),
  /** Structuring: the window those transfers fall in. */
  COMPLIANCE_STRUCTURING_WINDOW_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 31, default: 24 }),
  /** Velocity: more than this many outgoing transfers from one account within the window hold. */
  COMPLIANCE_VELOCITY_TRANSFERS_MAX: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 20 }),
  /** Velocity: the window of that count. */
  COMPLIANCE_VELOCITY_WINDOW_MINUTES: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 60 }),
  /**
   * ISO 3166-1 alpha-2 codes, comma-separated; a party from one of them is held. The default is the
   * FATF "call for action" list (North Korea, Iran, Myanmar); `none` names none (an empty variable is unset).
   */
  COMPLIANCE_HIGH_RISK_COUNTRIES: Type.String({ pattern: COUNTRY_LIST, default: 'KP,IR,MM' }),
  /** Normalized Jaro-Winkler similarity from which a name is a potential sanctions match (held). */
  SANCTIONS_POTENTIAL_MATCH_SCORE: Type.Number({ minimum: 0.5, maximum: 1, default: 0.92 }),
  /** From which, with a matching country or date of birth, it is a confirmed match (rejected). */
  SANCTIONS_CONFIRMED_MATCH_SCORE: Type.Number({ minimum: 0.5, maximum: 1, default: 0.97 }),
  /** Currency transaction reports list a customer's cash movements (deposits, withdrawals) of a day from this total. */
  COMPLIANCE_CTR_AMOUNT_MIN: Type.String({ pattern: THRESHOLD_AMOUNT, default: '10000' }),
});
export type ComplianceRulesConfig = Static<typeof ComplianceRulesConfigSchema>;

/** The thresholds in the units code uses: amounts as Decimal, windows in milliseconds. */
export interface ComplianceThresholds {
  large_amount_min: Decimal;
  structuring: { amount_min: Decimal; amount_max: Decimal; transfers_min: number; window_ms: number };
  velocity: { transfers_max: number; window_ms: number };
  high_risk_countries: ReadonlySet<string>;
  sanctions: { potential_match_score: number; confirmed_match_score: number };
  ctr_amount_min: Decimal;
}

const HOUR_MS = 60 * 60 * 1_000;

/** Reads the thresholds from a loaded configuration; contradictory values are a `ConfigError`. */
export function complianceThresholdsFromConfig(config: ComplianceRulesConfig): ComplianceThresholds {
  const thresholds: ComplianceThresholds = {
    large_amount_min: new Decimal(config.COMPLIANCE_LARGE_AMOUNT_MIN),
    structuring: {
      amount_min: new Decimal(config.COMPLIANCE_STRUCTURING_AMOUNT_MIN),
      amount_max: new Decimal(config.COMPLIANCE_STRUCTURING_AMOUNT_MAX),
      transfers_min: config.COMPLIANCE_STRUCTURING_TRANSFERS_MIN,
      window_ms: config.COMPLIANCE_STRUCTURING_WINDOW_HOURS * HOUR_MS,
    },
    velocity: {
      transfers_max: config.COMPLIANCE_VELOCITY_TRANSFERS_MAX,
      window_ms: config.COMPLIANCE_VELOCITY_WINDOW_MINUTES * 60 * 1_000,
    },
    high_risk_countries: new Set(
      config.COMPLIANCE_HIGH_RISK_COUNTRIES === 'none'
        ? []
        : config.COMPLIANCE_HIGH_RISK_COUNTRIES.split(','),
    ),
    sanctions: {
      potential_match_score: config.SANCTIONS_POTENTIAL_MATCH_SCORE,
      confirmed_match_score: config.SANCTIONS_CONFIRMED_MATCH_SCORE,
    },
    ctr_amount_min: new Decimal(config.COMPLIANCE_CTR_AMOUNT_MIN),
  };
  if (thresholds.structuring.amount_min.greaterThan(thresholds.structuring.amount_max))
    throw new ConfigError(
      'Invalid configuration: COMPLIANCE_STRUCTURING_AMOUNT_MIN must not exceed COMPLIANCE_STRUCTURING_AMOUNT_MAX',
    );
  if (thresholds.sanctions.potential_match_score > thresholds.sanctions.confirmed_match_score)
    throw new ConfigError(
      'Invalid configuration: SANCTIONS_POTENTIAL_MATCH_SCORE must not exceed SANCTIONS_CONFIRMED_MATCH_SCORE',
    );
  return thresholds;
}

/** The contract's default thresholds (what an unset environment gives). */
export const DEFAULT_COMPLIANCE_THRESHOLDS: ComplianceThresholds = complianceThresholdsFromConfig(
  loadConfig(ComplianceRulesConfigSchema, {}),
);
