import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeName, sortedTokens } from './normalize-name';

describe('normalizeName', () => {
  it('drops diacritics, lowercases, turns punctuation and hyphens into single spaces', () => {
    expect(normalizeName('  José   María AZNAR-LÓPEZ ')).toBe('jose maria aznar lopez');
    expect(normalizeName("O'BRIEN  (Seán)")).toBe('o brien sean');
    expect(normalizeName('Ærøskøbing Straße')).toBe('aeroskobing strasse');
    expect(normalizeName('ÇELİK Ayşe Gül')).toBe('celik ayse gul');
    expect(normalizeName('ﬁnn')).toBe('finn');
  });

  it('puts "LAST, First" in reading order unless told the comma belongs to the name', () => {
    expect(normalizeName('MÜLLER-ŁUKASZEWICZ, Jörg')).toBe('jorg muller lukaszewicz');
    expect(normalizeName('KARIMOV, Rustam Aliyevich')).toBe('rustam aliyevich karimov');
    expect(normalizeName('ANGLO-CARIBBEAN CO., LTD.', { reorder_last_first: false })).toBe(
      'anglo caribbean co ltd',
    );
    // Two commas are not "LAST, First": left as written.
    expect(normalizeName('A, B, C')).toBe('a b c');
    expect(normalizeName('HADDAD,')).toBe('haddad');
  });

  it('keeps letters of other scripts', () => {
    expect(normalizeName('Щербаков, Игорь')).toBe('игорь щербаков');
    expect(normalizeName('محمد علي')).toBe('محمد علي');
  });

  it('is idempotent and yields single-spaced lowercase tokens', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (raw) => {
        const normalized = normalizeName(raw);
        expect(normalizeName(normalized)).toBe(normalized);
        expect(normalized).toBe(normalized.trim());
        expect(normalized).not.toMatch(/ {2}/);
        expect(normalized).not.toMatch(/[,.\-'"]/);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('sortedTokens', () => {
  it('orders tokens so that word order does not matter, keeping the length', () => {
    expect(sortedTokens('hassan ali mohamed')).toBe('ali hassan mohamed');
    expect(sortedTokens('ali hassan mohamed')).toBe(sortedTokens('mohamed hassan ali'));
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (raw) => {
        const normalized = normalizeName(raw);
        expect(sortedTokens(normalized)).toHaveLength(normalized.length);
      }),
    );
  });
});
