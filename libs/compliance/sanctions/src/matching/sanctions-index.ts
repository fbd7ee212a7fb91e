import { dateOfBirthMatches } from './date-of-birth';
import {
  commonCharactersMin,
  commonPrefixLength,
  jaroWinkler,
  WINKLER_PREFIX_LENGTH_MAX,
} from './jaro-winkler';
import { normalizeName, sortedTokens } from './normalize-name';

/** What matching needs of one sanctions entry (public list data). */
export interface IndexableEntry {
  ent_num: number;
  name: string;
  sdn_type: string;
  aliases: readonly string[];
  countries: readonly string[];
  dates_of_birth: readonly string[];
}

/** The party being screened: a customer's decrypted name, country and date of birth, in memory only. */
export interface ScreenedParty {
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
  /** `YYYY-MM-DD`. */
  date_of_birth: string | null;
}

export interface MatchThresholds {
  /** Normalized Jaro-Winkler from which a name is a potential match. */
  potential_match_score: number;
  /** From which, with the entry's country or date of birth matching the party's, it is confirmed. */
  confirmed_match_score: number;
}

export type SanctionsStatus = 'clear' | 'potential_match' | 'confirmed_match';

export interface PartyMatch {
  status: SanctionsStatus;
  /** The best matching entry when not clear: the most severe, then the highest score, then the lowest ent_num. */
  match: { ent_num: number; name: string; score: number } | null;
  /** How many similarities were computed; the rest of the names were ruled out by cheap bounds. */
  jaro_winkler_evaluations: number;
}

/**
 * Every name of one length: as written (normalized) and with sorted tokens (sorting keeps the
 * length), the entry each belongs to, and their character counts, {@link HISTOGRAM_BUCKETS} per name
 * in one array (one typed array per name cost more memory than the counts themselves).
 */
export interface LengthBucket {
  readonly written: readonly string[];
  readonly sorted: readonly string[];
  readonly entries: readonly number[];
  readonly histograms: Uint16Array;
}

/** The precomputed forms of one list's names, by length, ready for {@link matchParty}. */
export interface SanctionsIndex {
  readonly list_version: number;
  readonly entries: readonly IndexableEntry[];
  /** By name length. */
  readonly buckets: ReadonlyArray<LengthBucket | undefined>;
  /** Normalized aliases to the entries that have them: an exact alias is a potential match whatever the thresholds. */
  readonly aliases: ReadonlyMap<string, readonly number[]>;
}

/** Buckets of the character counts: a-z, 0-9, space, and one for every other character. */
const HISTOGRAM_BUCKETS = 38;
/** Scores are compared with this much slack against floating-point rounding in the bounds. */
const BOUND_SLACK = 1e-9;

function bucketOf(code: number): number {
  if (code >= 97 && code <= 122) return code - 97;
  if (code >= 48 && code <= 57) return code - 48 + 26;
  return code === 32 ? 36 : 37;
}

/** Adds the character counts of `text` to `histograms` from `offset`. */
function countCharacters(text: string, histograms: Uint16Array, offset: number): void {
  for (let index = 0; index < text.length; index += 1) {
    const bucket = offset + bucketOf(text.charCodeAt(index));
    histograms[bucket] = (histograms[bucket] ?? 0) + 1;
  }
}

/**
 * Whether a name whose counts start at `offset` in `histograms` can have `needed` characters in
 * common with the party's (`party`, whose non-zero buckets are `party_buckets`): it stops as soon as
 * too many of the party's characters are missing. Characters outside a-z, 0-9 and space share a
 * bucket, so they are counted generously: it never rules out a name that could match.
 */
function canShare(
  party: Uint16Array,
  party_buckets: readonly number[],
  party_length: number,
  histograms: Uint16Array,
  offset: number,
  needed: number,
): boolean {
  const missingMax = party_length - needed;
  let missing = 0;
  for (const bucket of party_buckets) {
    const shortfall = (party[bucket] ?? 0) - (histograms[offset + bucket] ?? 0);
    if (shortfall > 0) {
      missing += shortfall;
      if (missing > missingMax) return false;
    }
  }
  return true;
}

/**
 * Precomputes one list for matching: every entry's name and aliases normalized (individuals' "LAST,
 * First" put in reading order), as written and with sorted tokens, with their character counts,
 * bucketed by length. Built once per list version and shared by every screening; about 30 MB for
 * the real list's 18,000 entries and their aliases.
 */
export function buildSanctionsIndex(
  list_version: number,
  entries: readonly IndexableEntry[],
): SanctionsIndex {
  const building: Array<{ written: string[]; sorted: string[]; entries: number[] } | undefined> = [];
  const aliases = new Map<string, number[]>();
  entries.forEach((entry, index) => {
    const reorder_last_first = entry.sdn_type === 'individual';
    const forms = new Set<string>();
    const primary = normalizeName(entry.name, { reorder_last_first });
    if (primary !== '') forms.add(primary);
    for (const alias of entry.aliases) {
      const normalized = normalizeName(alias, { reorder_last_first });
      if (normalized === '') continue;
      forms.add(normalized);
      const holders = aliases.get(normalized) ?? [];
      if (!holders.includes(index)) holders.push(index);
      aliases.set(normalized, holders);
    }
    for (const text of forms) {
      const bucket = (building[text.length] ??= { written: [], sorted: [], entries: [] });
      bucket.written.push(text);
      bucket.sorted.push(sortedTokens(text));
      bucket.entries.push(index);
    }
  });
  const buckets = building.map((bucket) => {
    if (bucket === undefined) return undefined;
    // Sorting tokens keeps the characters, so both forms of a name share one row of counts.
    const histograms = new Uint16Array(bucket.written.length * HISTOGRAM_BUCKETS);
    bucket.written.forEach((text, position) =>
      countCharacters(text, histograms, position * HISTOGRAM_BUCKETS),
    );
    return { ...bucket, histograms };
  });
  return { list_version, entries, buckets, aliases };
}

/**
 * The shortest/longest length ratio below which Jaro-Winkler cannot reach `threshold`: with every
 * character of the shorter name matched in order and the full prefix bonus, JW is
 * `0.6 * (2 + ratio) / 3 + 0.4`, so `ratio >= 5 * threshold - 4` is needed.
 */
export function lengthRatioMin(threshold: number): number {
  return Math.max(0, 5 * threshold - 4 - BOUND_SLACK);
}

/**
 * Screens one party against a list: its normalized name against every entry's name and aliases, as
 * written and token-sorted (the best of both), plus exact alias equality. Entries at or above the
 * potential threshold (or with an exact alias) match; a match is confirmed when it also reaches the
 * confirmed threshold and the entry's country or date of birth agrees with the party's.
 *
 * Cheap bounds rule out most names before any similarity is computed, and never one that could
 * match: lengths whose ratio makes the threshold unreachable are not visited at all, then each
 * remaining name's common prefix with the party's sets how many characters they must share
 * (`commonCharactersMin`), which its character counts may rule out after a few buckets.
 */
export function matchParty(
  index: SanctionsIndex,
  party: ScreenedParty,
  thresholds: MatchThresholds,
): PartyMatch {
  const written = normalizeName(party.name);
  const result: PartyMatch = { status: 'clear', match: null, jaro_winkler_evaluations: 0 };
  if (written === '') return result;
  const tokens = sortedTokens(written);
  const threshold = thresholds.potential_match_score;
  const scores = new Map<number, number>();
  const record = (entry: number, score: number) => {
    if (score >= threshold) scores.set(entry, Math.max(scores.get(entry) ?? 0, score));
  };
  // An exact alias is a match whatever the threshold; equal names score 1 anyway.
  for (const entry of index.aliases.get(written) ?? []) scores.set(entry, 1);

  const histogram = new Uint16Array(HISTOGRAM_BUCKETS);
  countCharacters(written, histogram, 0);
  const partyBuckets: number[] = [];
  histogram.forEach((count, bucket) => {
    if (count > 0) partyBuckets.push(bucket);
  });
  // A sorted form equal to its written form is compared already when the party's name is sorted too.
  const sortedIsWritten = tokens === written;
  const length = written.length;
  const ratio = lengthRatioMin(threshold);
  const lengthMin = Math.ceil(length * ratio);
  const lengthMax = Math.min(
    index.buckets.length - 1,
    ratio === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(length / ratio),
  );
  const neededByPrefix = new Float64Array(WINKLER_PREFIX_LENGTH_MAX + 1);
  for (let candidateLength = lengthMin; candidateLength <= lengthMax; candidateLength += 1) {
    const bucket = index.buckets[candidateLength];
    if (bucket === undefined) continue;
    for (let prefix = 0; prefix <= WINKLER_PREFIX_LENGTH_MAX; prefix += 1)
      neededByPrefix[prefix] = commonCharactersMin(length, candidateLength, prefix, threshold) - BOUND_SLACK;
    const shorter = Math.min(length, candidateLength);
    const compare = (text: string, candidate: string, position: number) => {
      const needed = neededByPrefix[commonPrefixLength(text, candidate)] ?? 0;
      if (shorter < needed) return;
      if (!canShare(histogram, partyBuckets, length, bucket.histograms, position * HISTOGRAM_BUCKETS, needed))
        return;
      result.jaro_winkler_evaluations += 1;
      record(bucket.entries[position] ?? -1, jaroWinkler(text, candidate));
    };
    for (let position = 0; position < bucket.written.length; position += 1) {
      const candidateWritten = bucket.written[position] ?? '';
      const candidateSorted = bucket.sorted[position] ?? '';
      compare(written, candidateWritten, position);
      if (!(sortedIsWritten && candidateSorted === candidateWritten))
        compare(tokens, candidateSorted, position);
    }
  }

  let best: { status: SanctionsStatus; entry: number; score: number } | null = null;
  for (const [entry, score] of scores) {
    const data = index.entries[entry];
    if (data === undefined) continue;
    const status: SanctionsStatus =
      score >= thresholds.confirmed_match_score && corroborates(data, party)
        ? 'confirmed_match'
        : 'potential_match';
    if (best === null || isBetter({ status, entry, score }, best, index)) best = { status, entry, score };
  }
  if (best === null) return result;
  const entry = index.entries[best.entry];
  if (entry === undefined) return result;
  return {
    status: best.status,
    match: { ent_num: entry.ent_num, name: entry.name, score: best.score },
    jaro_winkler_evaluations: result.jaro_winkler_evaluations,
  };
}

/** Whether the entry's country or date of birth agrees with the party's. */
function corroborates(entry: IndexableEntry, party: ScreenedParty): boolean {
  if (party.country !== null && entry.countries.includes(party.country)) return true;
  const date_of_birth = party.date_of_birth;
  return (
    date_of_birth !== null && entry.dates_of_birth.some((value) => dateOfBirthMatches(value, date_of_birth))
  );
}

const SEVERITY: Readonly<Record<SanctionsStatus, number>> = {
  clear: 0,
  potential_match: 1,
  confirmed_match: 2,
};

function isBetter(
  candidate: { status: SanctionsStatus; entry: number; score: number },
  best: { status: SanctionsStatus; entry: number; score: number },
  index: SanctionsIndex,
): boolean {
  if (SEVERITY[candidate.status] !== SEVERITY[best.status])
    return SEVERITY[candidate.status] > SEVERITY[best.status];
  if (candidate.score !== best.score) return candidate.score > best.score;
  return (index.entries[candidate.entry]?.ent_num ?? 0) < (index.entries[best.entry]?.ent_num ?? 0);
}
