import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, isCurrency, minorUnits } from './currencies';

describe('ISO 4217 table', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['ISK', 0],
    ['XOF', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['IQD', 3],
    ['LYD', 3],
    ['CLF', 4],
    ['UYW', 4],
  ] as const)('%s has %i minor units', (code, expected) => {
    expect(minorUnits(code)).toBe(expected);
  });

  it('holds every active code with a minor unit, sorted and unique', () => {
    expect(CURRENCY_CODES).toHaveLength(165);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect([...CURRENCY_CODES].sort()).toEqual(CURRENCY_CODES);
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(minorUnits(code));
    }
  });

  it('includes recent additions (XCG, ZWG, VED, SLE, XAD)', () => {
    for (const code of ['XCG', 'ZWG', 'VED', 'SLE', 'XAD']) expect(isCurrency(code)).toBe(true);
  });

  it('leaves out withdrawn codes and codes without a minor unit', () => {
    for (const code of ['ANG', 'BGN', 'CUC', 'HRK', 'SLL', 'ZWL', 'DEM', 'XAU', 'XDR', 'XTS', 'XXX']) {
      expect(isCurrency(code)).toBe(false);
    }
  });
});

describe('isCurrency', () => {
  it('matches codes exactly', () => {
    expect(isCurrency('USD')).toBe(true);
    expect(isCurrency('usd')).toBe(false);
    expect(isCurrency(' USD')).toBe(false);
    expect(isCurrency('USDX')).toBe(false);
    expect(isCurrency('')).toBe(false);
  });

  it('is not fooled by inherited object properties or non-strings', () => {
    for (const code of ['toString', '__proto__', 'constructor', 'hasOwnProperty'])
      expect(isCurrency(code)).toBe(false);
    for (const value of [null, undefined, 840, {}, ['USD']]) expect(isCurrency(value)).toBe(false);
  });
});

describe('minorUnits', () => {
  it('throws on a code that was never checked, a programmer error', () => {
    expect(() => minorUnits('ABC')).toThrowError(/"ABC" is not a supported ISO 4217 code/);
  });
});
