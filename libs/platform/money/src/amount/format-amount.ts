import assert from 'node:assert/strict';
import { Decimal } from '../decimal';
import { minorUnits } from '../currency/currencies';

// What our own code hands in: a Decimal's or Postgres NUMERIC's text form, never exponent notation or hex.
const DECIMAL_TEXT = /^-?[0-9]+(\.[0-9]+)?$/;

/**
 * Formats an amount or balance for the API with exactly the currency's minor units: `"12.50"` for
 * USD 12.5, `"1000"` for JPY 1000, `"-3.000"` for KWD -3. Negative values (balances in overdraft)
 * keep their sign.
 *
 * Never rounds: a value with more significant decimal places than the currency allows is a bug
 * upstream (money was created or split wrongly), so it throws an `AssertionError` rather than
 * quietly moving money. Extra trailing zeros, as NUMERIC columns return them, are fine.
 */
export function formatAmount(amount: Decimal | string, currency: string): string {
  const scale = minorUnits(currency);
  if (typeof amount === 'string') {
    assert.match(amount, DECIMAL_TEXT, 'formatAmount: expected a plain decimal string');
  }
  // Re-reading through our Decimal also accepts instances of other decimal.js clones (Prisma's).
  const value = new Decimal(amount);
  assert.ok(value.isFinite(), 'formatAmount: the amount must be finite');
  assert.ok(
    value.decimalPlaces() <= scale,
    `formatAmount: ${value.toString()} has more decimal places than ${currency} allows (${scale}); refusing to round`,
  );
  return value.toFixed(scale);
}
