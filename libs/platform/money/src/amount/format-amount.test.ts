import { Decimal as OtherDecimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../decimal';
import { formatAmount } from './format-amount';

describe('formatAmount', () => {
  it.each([
    ['12.5', 'USD', '12.50'],
    ['12', 'USD', '12.00'],
    ['0', 'USD', '0.00'],
    ['1000', 'JPY', '1000'],
    ['1.5', 'KWD', '1.500'],
    ['0.0001', 'CLF', '0.0001'],
    ['-3', 'KWD', '-3.000'],
    ['-0.5', 'EUR', '-0.50'],
    ['12.5000', 'USD', '12.50'],
    ['999999999999999999.99', 'USD', '999999999999999999.99'],
  ])('%s %s as %s', (input, currency, expected) => {
    expect(formatAmount(input, currency)).toBe(expected);
    expect(formatAmount(new Decimal(input), currency)).toBe(expected);
  });

  it('never writes a negative zero', () => {
    expect(formatAmount(new Decimal('-0'), 'USD')).toBe('0.00');
    expect(formatAmount('-0.00', 'USD')).toBe('0.00');
  });

  it("accepts Decimals from other decimal.js clones, such as Prisma's", () => {
    const Narrow = OtherDecimal.clone({ precision: 5, toExpNeg: -2 });
    expect(formatAmount(new Narrow('0.001'), 'KWD')).toBe('0.001');
  });

  it('refuses to round: a value with too many decimal places is a bug upstream', () => {
    expect(() => formatAmount('12.505', 'USD')).toThrowError(/more decimal places than USD allows \(2\)/);
    expect(() => formatAmount(new Decimal('0.5'), 'JPY')).toThrowError(/refusing to round/);
  });

  it('refuses strings that are not plain decimals, unknown currencies and non-finite values', () => {
    for (const input of ['1e3', '0x10', ' 1', '', 'Infinity'])
      expect(() => formatAmount(input, 'USD')).toThrowError();
    expect(() => formatAmount('1', 'XYZ')).toThrowError(/not a supported ISO 4217 code/);
    expect(() => formatAmount(new Decimal(Infinity), 'USD')).toThrowError(/finite/);
    expect(() => formatAmount(new Decimal(NaN), 'USD')).toThrowError(/finite/);
  });
});
