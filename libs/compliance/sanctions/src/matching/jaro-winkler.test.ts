import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commonCharactersMin, commonPrefixLength, jaroWinkler } from './jaro-winkler';

/** Names drawn from a small alphabet, so that pairs share characters and prefixes often. */
const name = fc.string({
  unit: fc.constantFrom('a', 'b', 'd', 'e', 'h', 'm', 'n', 'r', 's', ' '),
  maxLength: 16,
});
const anyText = fc.string({ unit: 'grapheme', maxLength: 24 });

function common(a: string, b: string): number {
  const counts = new Map<string, number>();
  for (const character of a) counts.set(character, (counts.get(character) ?? 0) + 1);
  let shared = 0;
  for (const character of b) {
    const left = counts.get(character) ?? 0;
    if (left > 0) {
      shared += 1;
      counts.set(character, left - 1);
    }
  }
  return shared;
}

describe('jaroWinkler', () => {
  it('gives the published reference values', () => {
    expect(jaroWinkler('MARTHA', 'MARHTA')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('DWAYNE', 'DUANE')).toBeCloseTo(0.84, 3);
    expect(jaroWinkler('DIXON', 'DICKSONX')).toBeCloseTo(0.813, 3);
    expect(jaroWinkler('JELLYFISH', 'SMELLYFISH')).toBeCloseTo(0.896, 3);
  });

  it('is 0 for nothing in common and for an empty string against another', () => {
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('', 'abc')).toBe(0);
    expect(jaroWinkler('', '')).toBe(1);
  });

  it('is symmetric, within [0, 1], and 1 exactly for equal strings', () => {
    fc.assert(
      fc.property(fc.oneof(name, anyText), fc.oneof(name, anyText), (a, b) => {
        const score = jaroWinkler(a, b);
        expect(score).toBe(jaroWinkler(b, a));
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
        expect(jaroWinkler(a, a)).toBe(1);
        if (a !== b) expect(score).toBeLessThan(1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never reaches a threshold with fewer characters in common than the bound matching prunes with', () => {
    fc.assert(
      fc.property(name, name, fc.double({ min: 0.5, max: 1, noNaN: true }), (a, b, threshold) => {
        fc.pre(a.length > 0 && b.length > 0 && jaroWinkler(a, b) >= threshold);
        expect(common(a, b)).toBeGreaterThanOrEqual(
          commonCharactersMin(a.length, b.length, commonPrefixLength(a, b), threshold) - 1e-9,
        );
      }),
      { numRuns: 2_000 },
    );
    // Tight: equal strings share every character and just reach 1.
    expect(commonCharactersMin(6, 6, 4, 1)).toBeCloseTo(6, 9);
  });

  it('rewards a common prefix of up to four characters', () => {
    expect(commonPrefixLength('abcdef', 'abcdxy')).toBe(4);
    expect(commonPrefixLength('abcdef', 'abcdefgh')).toBe(4);
    expect(commonPrefixLength('xbc', 'abc')).toBe(0);
    expect(jaroWinkler('abcdex', 'abcdey')).toBeGreaterThan(jaroWinkler('xabcde', 'yabcde'));
  });
});
