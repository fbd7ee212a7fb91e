import { Decimal } from '../decimal';
import { isCurrency, minorUnits } from '../currency/currencies';

/** Every way an amount from a request can be wrong, for a `Record<AmountError, ...>` the compiler checks. */
export const AMOUNT_ERRORS = [
  'not_a_string',
  'malformed',
  'not_positive',
  'too_many_decimal_places',
  'too_many_integer_digits',
  'unknown_currency',
] as const;

/** Why an amount was rejected. */
export type AmountError = (typeof AMOUNT_ERRORS)[number];

/** The outcome of parsing an amount: the value, or why it was rejected with a sentence for a 400 response. */
export type AmountResult<E extends AmountError = AmountError> =
  { ok: true; amount: Decimal } | { ok: false; error: E; message: string };

/** The contract's cap on integer digits; also keeps every amount well inside NUMERIC and `Decimal` precision. */
export const AMOUNT_INTEGER_DIGITS_MAX = 18;

// ASCII digits only: `[0-9]`, not `\d`, and no `u` flag, so no other script's digits slip through.
// `$` without the `m` flag matches only at the very end, so a trailing newline is rejected too.
const PLAIN_DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Parses a strictly positive amount from a request body, e.g. `parseAmount(body.amount, body.currency)`.
 *
 * Accepted: a JSON string of ASCII digits with an optional fractional part (`"12.50"`, `"1000"`),
 * greater than zero, with at most 18 integer digits and no more decimal places than the currency's
 * minor unit. Trailing zeros count as decimal places (`"1.000"` is rejected for USD), so what a client
 * sends always fits the currency exactly.
 *
 * Rejected: numbers, signs, exponents, spaces, leading zeros (`"012"`), `"1."`, `".5"`, hex and
 * non-ASCII digits. Checks run in this order: type, shape, currency, integer digits, decimal places,
 * greater than zero; the first failure is returned.
 */
export function parseAmount(input: unknown, currency: string): AmountResult {
  const result = parseNonNegativeAmount(input, currency);
  if (result.ok && result.amount.isZero()) {
    return failure('not_positive', 'The amount must be greater than zero.');
  }
  return result;
}

/**
 * Like {@link parseAmount} but also accepts zero (`"0"`, `"0.00"`), for limits such as an account's
 * overdraft limit. Never returns `not_positive`.
 */
export function parseNonNegativeAmount(
  input: unknown,
  currency: string,
): AmountResult<Exclude<AmountError, 'not_positive'>> {
  if (typeof input !== 'string') {
    const message =
      input === undefined
        ? 'The amount is missing; send a decimal string such as "12.50".'
        : `The amount must be a decimal string such as "12.50", not ${describeType(input)}.`;
    return failure('not_a_string', message);
  }
  const match = PLAIN_DECIMAL.exec(input);
  if (match === null) return failure('malformed', describeMalformed(input));
  if (!isCurrency(currency)) {
    return failure('unknown_currency', `${quote(currency)} is not a supported ISO 4217 currency code.`);
  }
  const integerDigits = match[1] ?? '';
  const fractionDigits = (match[2] ?? '').slice(1);
  if (integerDigits.length > AMOUNT_INTEGER_DIGITS_MAX) {
    return failure(
      'too_many_integer_digits',
      `The amount has ${integerDigits.length} digits before the decimal point; at most ${AMOUNT_INTEGER_DIGITS_MAX} are allowed.`,
    );
  }
  const scale = minorUnits(currency);
  if (fractionDigits.length > scale) {
    return failure('too_many_decimal_places', describeScale(currency, scale, fractionDigits.length));
  }
  // Built only after the bounds checks, so at most 22 digits ever reach Decimal.
  return { ok: true, amount: new Decimal(input) };
}

function failure<E extends AmountError>(error: E, message: string): AmountResult<E> {
  return { ok: false, error, message };
}

function describeType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'an object';
  return `a ${typeof input}`;
}

// Names the most likely mistake, so a client developer can fix the request from the message alone.
function describeMalformed(input: string): string {
  const expected = 'Use digits with an optional decimal point, such as "12.50".';
  if (input === '') return `The amount is empty. ${expected}`;
  if (/\s/.test(input)) return `The amount must not contain spaces. ${expected}`;
  if (/^[+-]/.test(input)) return `The amount must not have a sign. ${expected}`;
  if (/^[0-9.]+[eE][+-]?[0-9]+$/.test(input)) return `The amount must not use exponent notation. ${expected}`;
  if (/^0[0-9]/.test(input)) return `The amount must not have leading zeros. ${expected}`;
  if (input.startsWith('.') || input.endsWith('.')) {
    return `The amount needs digits on both sides of the decimal point. ${expected}`;
  }
  return `The amount is not a plain decimal number. ${expected}`;
}

function describeScale(currency: string, scale: number, found: number): string {
  if (scale === 0) return `${currency} amounts are whole numbers with no decimal places.`;
  return `${currency} amounts have at most ${scale} decimal places; this amount has ${found}.`;
}

// Bounded so that a huge or hostile value never ends up whole in a response or a log line.
function quote(text: string): string {
  return JSON.stringify(text.length > 16 ? `${text.slice(0, 16)}...` : text);
}
