/**
 * Money for Ledgerline. An amount is a decimal string at the edge (`"12.50"`), a {@link Decimal} in
 * code and NUMERIC in Postgres; a JS number never holds money.
 *
 * - {@link Decimal}: decimal.js configured for money (precision 60, half-even, no exponent notation).
 * - {@link isCurrency}, {@link minorUnits}, {@link CURRENCY_CODES}: the ISO 4217 table.
 * - {@link parseAmount}, {@link parseNonNegativeAmount}: strict parsing of request amounts into typed
 *   results (`{ ok: false, error: AmountError, message }` maps to a 400 `validation_failed`).
 * - {@link formatAmount}: a value back to a string with exactly the currency's minor units.
 */
export { Decimal } from './decimal';
export {
  CURRENCY_CODES,
  isCurrency,
  minorUnits,
  type CurrencyCode,
  type MinorUnits,
} from './currency/currencies';
export {
  AMOUNT_ERRORS,
  AMOUNT_INTEGER_DIGITS_MAX,
  parseAmount,
  parseNonNegativeAmount,
  type AmountError,
  type AmountResult,
} from './amount/parse-amount';
export { formatAmount } from './amount/format-amount';
