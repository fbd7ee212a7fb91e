import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSdnCsv } from '../csv/sdn-csv';
import { SDN_FIXTURE_CSV } from '../testing';
import { jaroWinkler } from './jaro-winkler';
import { normalizeName, sortedTokens } from './normalize-name';
import { buildSanctionsIndex, matchParty, type IndexableEntry, type ScreenedParty } from './sanctions-index';

const THRESHOLDS = { potential_match_score: 0.92, confirmed_match_score: 0.97 };

async function fixtureIndex() {
  const parsed = await parseSdnCsv(SDN_FIXTURE_CSV);
  if (!parsed.ok) throw new Error('fixture refused');
  return buildSanctionsIndex(1, parsed.entries);
}

function party(name: string, overrides: Partial<ScreenedParty> = {}): ScreenedParty {
  return { name, country: 'US', date_of_birth: null, ...overrides };
}

// Parsing yields to the event loop, so the fixture's index is built before the suites are declared.
const index = await fixtureIndex();

describe('matchParty', () => {
  const screen = (screened: ScreenedParty, thresholds = THRESHOLDS) => {
    const { jaro_winkler_evaluations: _evaluations, ...result } = matchParty(index, screened, thresholds);
    return result;
  };

  it('clears a name like no entry', () => {
    expect(screen(party('Ada Lovelace'))).toEqual({ status: 'clear', match: null });
    expect(screen(party('   '))).toEqual({ status: 'clear', match: null });
  });

  it('finds a potential match for a close name without a matching country or date of birth', () => {
    expect(screen(party('Rustam Karimov', { country: 'US' }))).toMatchObject({
      status: 'potential_match',
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich' },
    });
    // A spelling variant of the entry's full name.
    const variant = screen(party('Rustam Aliyevich Karimow'));
    expect(variant).toMatchObject({ status: 'potential_match', match: { ent_num: 10001 } });
    expect(variant.match?.score).toBeGreaterThanOrEqual(0.97);
  });

  it('confirms a strong match when the country agrees', () => {
    expect(screen(party('Rustam Aliyevich Karimov', { country: 'UZ' }))).toEqual({
      status: 'confirmed_match',
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: 1 },
    });
    expect(screen(party('Jorg Muller-Lukaszewicz', { country: 'RU' }))).toMatchObject({
      status: 'confirmed_match',
      match: { ent_num: 10003 },
    });
  });

  it('confirms a strong match when the date of birth agrees: exact, by year, by month, within a range', () => {
    const confirmed = (name: string, date_of_birth: string) => screen(party(name, { date_of_birth })).status;
    expect(confirmed('Rustam Aliyevich Karimov', '1951-06-10')).toBe('confirmed_match');
    expect(confirmed('Rustam Aliyevich Karimov', '1951-06-11')).toBe('potential_match');
    expect(confirmed('Jörg Müller Łukaszewicz', '1962-03-01')).toBe('confirmed_match');
    expect(confirmed('Jörg Müller Łukaszewicz', '1963-03-01')).toBe('potential_match');
    expect(confirmed('Min Htet Aung', '1975-06-30')).toBe('confirmed_match');
    expect(confirmed('Min Htet Aung', '1975-07-01')).toBe('potential_match');
    expect(confirmed('Samir Haddad', '1953-04-02')).toBe('confirmed_match');
    expect(confirmed('Samir Haddad', '1956-01-01')).toBe('potential_match');
  });

  it('does not confirm a match below the confirmed threshold, whatever the country', () => {
    const result = screen(party('Rustam Karimow', { country: 'UZ' }));
    expect(result.status).toBe('potential_match');
    expect(result.match?.score).toBeLessThan(0.97);
  });

  it('matches aliases, and an exact alias whatever the thresholds', () => {
    expect(screen(party('Abu Rustam'))).toEqual({
      status: 'potential_match',
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: 1 },
    });
    expect(screen(party('Rostam Karimi', { country: 'UZ' }))).toMatchObject({
      status: 'confirmed_match',
      match: { ent_num: 10001 },
    });
    expect(
      screen(party('North Wind Shipping'), { potential_match_score: 1, confirmed_match_score: 1 }),
    ).toMatchObject({
      status: 'potential_match',
      match: { ent_num: 10002 },
    });
  });

  it('ignores the order of the words', () => {
    expect(screen(party('Karimov Rustam Aliyevich', { country: 'UZ' }))).toEqual({
      status: 'confirmed_match',
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: 1 },
    });
    expect(screen(party('Htet Aung Min'))).toMatchObject({
      status: 'potential_match',
      match: { ent_num: 10008 },
    });
  });

  it('reads a customer\'s "LAST, First" like an individual entry', () => {
    expect(screen(party('Pak, Chol Su', { country: 'KP' }))).toMatchObject({
      status: 'confirmed_match',
      match: { ent_num: 10006 },
    });
  });

  it('reports the most severe match, then the best score', () => {
    const entries: IndexableEntry[] = [
      { ent_num: 1, name: 'JOHN SMITH', sdn_type: 'entity', aliases: [], countries: [], dates_of_birth: [] },
      {
        ent_num: 2,
        name: 'JON SMITH',
        sdn_type: 'entity',
        aliases: [],
        countries: ['GB'],
        dates_of_birth: [],
      },
      { ent_num: 3, name: 'JOHN SMITH', sdn_type: 'entity', aliases: [], countries: [], dates_of_birth: [] },
    ];
    const small = buildSanctionsIndex(1, entries);
    expect(matchParty(small, party('John Smith', { country: 'FR' }), THRESHOLDS).match).toMatchObject({
      ent_num: 1,
      score: 1,
    });
    expect(matchParty(small, party('John Smith', { country: 'GB' }), THRESHOLDS)).toMatchObject({
      status: 'confirmed_match',
      match: { ent_num: 2 },
    });
  });
});

/** Deterministic names from small pools, so a list has many near neighbours. */
function generatedEntries(count: number, seed: number): IndexableEntry[] {
  const first = [
    'MOHAMMED',
    'MUHAMMAD',
    'ALI',
    'HASSAN',
    'OMAR',
    'IVAN',
    'SERGEI',
    'VIKTOR',
    'MARIA',
    'ANNA',
    'KIM',
    'PAK',
    'JOSE',
    'LUIS',
    'CARLOS',
    'AHMAD',
    'YUSUF',
    'IBRAHIM',
    'DMITRI',
    'OLGA',
  ];
  const last = [
    'KARIMOV',
    'PETROV',
    'IVANOV',
    'HADDAD',
    'RAHMAN',
    'SOKOLOV',
    'GONZALEZ',
    'RODRIGUEZ',
    'KHAN',
    'NASSER',
    'SALEH',
    'MANSOUR',
    'CHOL',
    'HYON',
    'TRADING',
    'SHIPPING',
    'HOLDINGS',
    'EXCHANGE',
    'AL-RASHID',
    'BIN LADEN',
  ];
  let state = seed;
  const next = (bound: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % bound;
  };
  const pick = (pool: readonly string[]) => pool[next(pool.length)] ?? '';
  const suffix = () => String.fromCharCode(65 + next(26), 65 + next(26), 65 + next(26));
  return Array.from({ length: count }, (_, index) => ({
    ent_num: index + 1,
    name: `${pick(last)}${next(3) === 0 ? suffix() : ''}, ${pick(first)} ${next(2) === 0 ? pick(first) : ''}`.trim(),
    sdn_type: 'individual',
    aliases: next(2) === 0 ? [`${pick(first)} ${pick(last)}${suffix()}`] : [],
    countries: [],
    dates_of_birth: [],
  }));
}

/** Every name of every entry against the party, without any pruning: what matching must agree with. */
function bruteForce(
  entries: readonly IndexableEntry[],
  name: string,
  threshold: number,
): Map<number, number> {
  const written = normalizeName(name);
  const scores = new Map<number, number>();
  for (const entry of entries) {
    const forms = [entry.name, ...entry.aliases].map((text) =>
      normalizeName(text, { reorder_last_first: entry.sdn_type === 'individual' }),
    );
    let best = 0;
    for (const form of forms) {
      best = Math.max(
        best,
        jaroWinkler(written, form),
        jaroWinkler(sortedTokens(written), sortedTokens(form)),
      );
      if (forms.indexOf(form) > 0 && form === written) best = 1;
    }
    if (best >= threshold) scores.set(entry.ent_num, best);
  }
  return scores;
}

describe('matchParty pruning', () => {
  it('finds exactly the matches a comparison of every name finds', () => {
    const entries = generatedEntries(400, 7);
    const index = buildSanctionsIndex(1, entries);
    const names = fc.oneof(
      fc.constantFrom(...entries.map((entry) => entry.name)),
      fc.constantFrom(...entries.flatMap((entry) => entry.aliases)),
      fc.string({
        unit: fc.constantFrom('A', 'H', 'I', 'K', 'M', 'O', 'R', 'S', 'V', ' '),
        minLength: 3,
        maxLength: 20,
      }),
    );
    fc.assert(
      fc.property(names, fc.double({ min: 0.8, max: 0.99, noNaN: true }), (name, threshold) => {
        const thresholds = { potential_match_score: threshold, confirmed_match_score: 0.99 };
        const expected = bruteForce(entries, name, threshold);
        const result = matchParty(index, party(name), thresholds);
        if (expected.size === 0) expect(result.status).toBe('clear');
        else {
          const best = Math.max(...expected.values());
          expect(result.match?.score).toBeCloseTo(best, 12);
          expect(expected.get(result.match?.ent_num ?? 0)).toBeCloseTo(best, 12);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('computes the similarity of only a small part of a 10,000-entry list', () => {
    const entries = generatedEntries(10_000, 42);
    const index = buildSanctionsIndex(1, entries);
    // Each name is compared as written and with sorted tokens.
    const forms = 2 * index.buckets.reduce((sum, bucket) => sum + (bucket?.written.length ?? 0), 0);
    expect(forms).toBeGreaterThan(20_000);
    for (const name of ['Rustam Karimov', 'Mohammed Ali Haddad', 'Ada Lovelace', 'Pak Chol']) {
      const result = matchParty(index, party(name), THRESHOLDS);
      expect(result.jaro_winkler_evaluations, name).toBeLessThan(forms / 10);
    }
  });
});
