import { describe, expect, it } from 'vitest';
import { parseAmount, parseNonNegativeAmount, type AmountError } from './parse-amount';

function errorOf(input: unknown, currency = 'USD'): AmountError | undefined {
  const result = parseAmount(input, currency);
  return result.ok ? undefined : result.error;
}

describe('parseAmount accepts', () => {
  it.each([
    ['12.50', 'USD', '12.5'],
    ['0.01', 'USD', '0.01'],
    ['1', 'USD', '1'],
    ['1.0', 'USD', '1'],
    ['1000', 'JPY', '1000'],
    ['0.001', 'KWD', '0.001'],
    ['1.234', 'BHD', '1.234'],
    ['0.0001', 'CLF', '0.0001'],
    ['999999999999999999.99', 'USD', '999999999999999999.99'],
  ])('%s %s', (input, currency, expected) => {
    const result = parseAmount(input, currency);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.amount.toString()).toBe(expected);
  });
});

describe('parseAmount rejects', () => {
  it.each([12.5, 10, 0, null, undefined, true, {}, ['1'], 10n])(
    'a non-string %s as not_a_string',
    (input) => {
      expect(errorOf(input)).toBe('not_a_string');
    },
  );

  it.each([
    '',
    ' ',
    ' 1',
    '1 ',
    '1 000',
    '1\n',
    '\t1',
    '+1',
    '-1',
    '-0.01',
    '1e3',
    '1E3',
    '1.5e-2',
    '012',
    '00',
    '00.5',
    '1.',
    '.5',
    '.',
    '1..2',
    '1.2.3',
    '1,50',
    '0x10',
    '0b1',
    'Infinity',
    'NaN',
    'abc',
    '١٢',
    '１２',
    '1_000',
  ])('%j as malformed', (input) => {
    expect(errorOf(input)).toBe('malformed');
  });

  it.each(['0', '0.0', '0.00'])('%j as not_positive', (input) => {
    expect(errorOf(input)).toBe('not_positive');
  });

  it.each([
    ['0.001', 'USD'],
    ['1.000', 'USD'],
    ['1.5', 'JPY'],
    ['1.0', 'JPY'],
    ['1.0000', 'KWD'],
    ['1.00000', 'CLF'],
  ])('%s %s as too_many_decimal_places', (input, currency) => {
    expect(errorOf(input, currency)).toBe('too_many_decimal_places');
  });

  it('19 integer digits as too_many_integer_digits', () => {
    expect(errorOf('1000000000000000000')).toBe('too_many_integer_digits');
    expect(errorOf('999999999999999999')).toBeUndefined();
  });

  it.each(['XYZ', 'usd', '', 'USD ', 'XAU', 'toString'])('currency %j as unknown_currency', (currency) => {
    expect(errorOf('1.00', currency)).toBe('unknown_currency');
  });

  it('a huge string without building a huge Decimal', () => {
    expect(errorOf('9'.repeat(100_000))).toBe('too_many_integer_digits');
    expect(errorOf(`1.${'0'.repeat(100_000)}`)).toBe('too_many_decimal_places');
  });
});

describe('parseAmount messages', () => {
  it.each<[unknown, string, RegExp]>([
    [12.5, 'USD', /^The amount must be a decimal string such as "12\.50", not a number\.$/],
    [undefined, 'USD', /^The amount is missing/],
    ['-5', 'USD', /must not have a sign/],
    ['1e3', 'USD', /must not use exponent notation/],
    ['1 0', 'USD', /must not contain spaces/],
    ['012', 'USD', /must not have leading zeros/],
    ['1.', 'USD', /digits on both sides of the decimal point/],
    ['', 'USD', /is empty/],
    ['0.00', 'USD', /^The amount must be greater than zero\.$/],
    ['1.000', 'USD', /^USD amounts have at most 2 decimal places; this amount has 3\.$/],
    ['1.5', 'JPY', /^JPY amounts are whole numbers with no decimal places\.$/],
    ['1000000000000000000', 'USD', /19 digits before the decimal point; at most 18/],
    ['1', 'XYZ', /^"XYZ" is not a supported ISO 4217 currency code\.$/],
  ])('%j %s', (input, currency, message) => {
    const result = parseAmount(input, currency);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('never echoes a long currency value whole', () => {
    const result = parseAmount('1', 'X'.repeat(10_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeLessThan(100);
  });
});

describe('parseNonNegativeAmount', () => {
  it.each(['0', '0.0', '0.00'])('accepts zero as %j', (input) => {
    const result = parseNonNegativeAmount(input, 'USD');
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.amount.isZero()).toBe(true);
  });

  it('applies every other rule of parseAmount', () => {
    expect(parseNonNegativeAmount('500.00', 'EUR')).toMatchObject({ ok: true });
    expect(parseNonNegativeAmount('-1', 'EUR')).toMatchObject({ ok: false, error: 'malformed' });
    expect(parseNonNegativeAmount('0.000', 'EUR')).toMatchObject({
      ok: false,
      error: 'too_many_decimal_places',
    });
    expect(parseNonNegativeAmount(0, 'EUR')).toMatchObject({ ok: false, error: 'not_a_string' });
    expect(parseNonNegativeAmount('0', 'EURO')).toMatchObject({ ok: false, error: 'unknown_currency' });
  });
});
