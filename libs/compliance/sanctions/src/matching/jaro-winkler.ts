/** Winkler's prefix scale: each common leading character (up to four) closes a tenth of the gap to 1. */
export const WINKLER_PREFIX_SCALE = 0.1;
export const WINKLER_PREFIX_LENGTH_MAX = 4;

/**
 * The Jaro-Winkler similarity of two strings, in [0, 1], 1 for equal strings.
 *
 * Jaro: characters of `a` and `b` match when equal and at most `floor(max(|a|, |b|) / 2) - 1`
 * positions apart (each character matched once, first come first served); with `m` matches and `t`
 * half the number of matched characters that appear in a different order,
 * `jaro = (m / |a| + m / |b| + (m - t) / m) / 3` (0 when nothing matches).
 * Winkler: `jaro + l * 0.1 * (1 - jaro)` with `l` the length of the common prefix, at most 4.
 *
 * Reference values: MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.813.
 *
 * Compares UTF-16 code units, which for normalized names are their letters. The greedy matching can
 * depend on which string comes first, so the pair is put in a fixed order first: the result is
 * symmetric by construction.
 */
export function jaroWinkler(first: string, second: string): number {
  if (first === second) return 1;
  const swap = first.length > second.length || (first.length === second.length && first > second);
  const a = swap ? second : first;
  const b = swap ? first : second;
  if (a.length === 0) return 0;
  const jaro = jaroOf(a, b);
  return jaro + commonPrefixLength(a, b) * WINKLER_PREFIX_SCALE * (1 - jaro);
}

function jaroOf(a: string, b: string): number {
  const window = Math.max(0, Math.floor(b.length / 2) - 1);
  const aMatched = new Uint8Array(a.length);
  const bMatched = new Uint8Array(b.length);
  let matches = 0;
  for (let i = 0; i < a.length; i += 1) {
    const code = a.charCodeAt(i);
    const end = Math.min(b.length - 1, i + window);
    for (let j = Math.max(0, i - window); j <= end; j += 1) {
      if (bMatched[j] === 0 && b.charCodeAt(j) === code) {
        aMatched[i] = 1;
        bMatched[j] = 1;
        matches += 1;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let outOfOrder = 0;
  let j = 0;
  for (let i = 0; i < a.length; i += 1) {
    if (aMatched[i] === 0) continue;
    while (bMatched[j] === 0) j += 1;
    if (a.charCodeAt(i) !== b.charCodeAt(j)) outOfOrder += 1;
    j += 1;
  }
  const transpositions = outOfOrder / 2;
  return (matches / a.length + matches / b.length + (matches - transpositions) / matches) / 3;
}

/** The length of the common prefix of `a` and `b`, at most {@link WINKLER_PREFIX_LENGTH_MAX}. */
export function commonPrefixLength(a: string, b: string): number {
  const length = Math.min(WINKLER_PREFIX_LENGTH_MAX, a.length, b.length);
  let prefix = 0;
  while (prefix < length && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix += 1;
  return prefix;
}

/**
 * The fewest characters (counted as a multiset) two strings of lengths `length_a` and `length_b`
 * with a common prefix of `prefix` must share for their Jaro-Winkler to reach `threshold`. With `m`
 * matches and no transpositions Jaro is at most `(m / a + m / b + 1) / 3`, and Jaro-Winkler grows
 * with Jaro; solving for `m` gives the bound. Matching uses it to skip names that cannot reach a
 * threshold without computing their similarity.
 */
export function commonCharactersMin(
  length_a: number,
  length_b: number,
  prefix: number,
  threshold: number,
): number {
  const scale = prefix * WINKLER_PREFIX_SCALE;
  const jaroMin = (threshold - scale) / (1 - scale);
  if (jaroMin <= 0 || length_a === 0 || length_b === 0) return 0;
  return (3 * jaroMin - 1) / (1 / length_a + 1 / length_b);
}
