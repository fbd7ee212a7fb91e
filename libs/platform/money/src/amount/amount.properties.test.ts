import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, minorUnits, type CurrencyCode } from '../currency/currencies';
import { Decimal } from '../decimal';
import { formatAmount } from './format-amount';
import { parseAmount, parseNonNegativeAmount } from './parse-amount';

const digit = fc.constantFrom(...'0123456789');
const currencyCode = fc.constantFrom(...CURRENCY_CODES);

type Candidate = { currency: CurrencyCode; integer: bigint; fraction: string };

/** Any amount the contract allows in `currency`: up to 18 integer digits, up to its minor unit in decimal places, > 0. */
function validCandidateIn(currency: CurrencyCode): fc.Arbitrary<Candidate> {
  return fc
    .record({
      currency: fc.constant(currency),
      // Small values too, so that short strings and zero integer parts are well covered.
      integer: fc.oneof(fc.bigInt({ min: 0n, max: 999n }), fc.bigInt({ min: 0n, max: 10n ** 18n - 1n })),
      fraction: fc.string({ unit: digit, maxLength: minorUnits(currency) }),
    })
    .filter(({ integer, fraction }) => integer > 0n || /[1-9]/.test(fraction));
}

const validCandidate = currencyCode.chain(validCandidateIn);

function text({ integer, fraction }: Candidate): string {
  return fraction === '' ? integer.toString() : `${integer}.${fraction}`;
}

/** The amount as a whole number of minor units (cents for USD): an exact oracle for arithmetic. */
function minorUnitsOf(candidate: Candidate): bigint {
  const scale = minorUnits(candidate.currency);
  return candidate.integer * 10n ** BigInt(scale) + BigInt(candidate.fraction.padEnd(scale, '0') || '0');
}

function parsed(input: string, currency: string): Decimal {
  const result = parseAmount(input, currency);
  if (!result.ok)
    throw new Error(`expected ${JSON.stringify(input)} ${currency} to parse: ${result.message}`);
  return result.amount;
}

describe('amount properties', () => {
  it('every valid amount parses, and formats back to itself padded to the minor unit', () => {
    fc.assert(
      fc.property(validCandidate, (candidate) => {
        const scale = minorUnits(candidate.currency);
        const padded =
          scale === 0 ? text(candidate) : `${candidate.integer}.${candidate.fraction.padEnd(scale, '0')}`;
        const amount = parsed(text(candidate), candidate.currency);
        expect(formatAmount(amount, candidate.currency)).toBe(padded);
        // The canonical form is a fixed point of parse then format.
        expect(formatAmount(parsed(padded, candidate.currency), candidate.currency)).toBe(padded);
      }),
    );
  });

  it('a sign, an exponent, a space or an extra decimal place always rejects a valid amount', () => {
    const corruption = fc.oneof(
      fc.constantFrom('+', '-').map((sign) => (s: string) => `${sign}${s}`),
      fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.nat(30)).map(
        ([e, sign, exponent]) =>
          (s: string) =>
            `${s}${e}${sign}${exponent}`,
      ),
      fc
        .tuple(fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2003'), fc.nat())
        .map(([space, at]) => (s: string) => {
          const index = at % (s.length + 1);
          return `${s.slice(0, index)}${space}${s.slice(index)}`;
        }),
    );
    fc.assert(
      fc.property(validCandidate, corruption, (candidate, corrupt) => {
        const result = parseAmount(corrupt(text(candidate)), candidate.currency);
        expect(result).toMatchObject({ ok: false, error: 'malformed' });
      }),
    );
    fc.assert(
      fc.property(validCandidate, digit, (candidate, extra) => {
        const scale = minorUnits(candidate.currency);
        const input = `${candidate.integer}.${candidate.fraction.padEnd(scale, '0')}${extra}`;
        expect(parseAmount(input, candidate.currency)).toMatchObject({
          ok: false,
          error: 'too_many_decimal_places',
        });
      }),
    );
  });

  it('rejects every JS number, however it looks', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer()), (value) => {
        expect(parseAmount(value, 'USD')).toMatchObject({ ok: false, error: 'not_a_string' });
      }),
    );
  });

  it('never throws on arbitrary input, and accepts only plain positive decimals', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[-+0-9.eE ]{0,24}$/)),
        currencyCode,
        (input, currency) => {
          const result = parseNonNegativeAmount(input, currency);
          if (result.ok) {
            expect(input).toMatch(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/);
            expect(result.amount.isNegative()).toBe(false);
          }
        },
      ),
    );
  });

  it('sums of parsed amounts are exact', () => {
    const sameCurrencyAmounts = currencyCode.chain((currency) =>
      fc.array(validCandidateIn(currency), { minLength: 1, maxLength: 50 }),
    );
    fc.assert(
      fc.property(sameCurrencyAmounts, (candidates) => {
        const currency = candidates[0]!.currency;
        const sum = candidates.reduce((total, c) => total.plus(parsed(text(c), currency)), new Decimal(0));
        const expectedMinorUnits = candidates.reduce((total, c) => total + minorUnitsOf(c), 0n);
        const sumInMinorUnits = sum.times(new Decimal(10).pow(minorUnits(currency)));
        expect(sumInMinorUnits.isInteger()).toBe(true);
        expect(sumInMinorUnits.toFixed(0)).toBe(expectedMinorUnits.toString());
      }),
    );
  });

  it('adding 0.1 ten times is exactly 1', () => {
    let total = new Decimal(0);
    for (let i = 0; i < 10; i += 1) total = total.plus(parsed('0.1', 'USD'));
    expect(total.equals(1)).toBe(true);
    expect(formatAmount(total, 'USD')).toBe('1.00');
  });
});
