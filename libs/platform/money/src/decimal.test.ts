import { Decimal as DefaultDecimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { Decimal } from './decimal';

describe('Decimal', () => {
  it('never uses exponent notation', () => {
    expect(new Decimal('0.00000000000000000001').toString()).toBe('0.00000000000000000001');
    expect(new Decimal('1').times('1e30').toString()).toBe('1000000000000000000000000000000');
  });

  it('keeps 60 significant digits', () => {
    expect(new Decimal(1).dividedBy(3).toString()).toBe(`0.${'3'.repeat(60)}`);
  });

  it('rounds half to even', () => {
    expect(new Decimal('2.5').toDecimalPlaces(0).toString()).toBe('2');
    expect(new Decimal('3.5').toDecimalPlaces(0).toString()).toBe('4');
    expect(new Decimal('0.125').toDecimalPlaces(2).toString()).toBe('0.12');
  });

  it('leaves the default decimal.js configuration alone', () => {
    expect(DefaultDecimal.precision).toBe(20);
    expect(new DefaultDecimal('1e30').toString()).toBe('1e+30');
  });
});
