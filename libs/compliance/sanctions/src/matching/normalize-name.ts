/**
 * Letters that NFKD leaves whole (they are letters of their own, not a base letter with a mark), as
 * the Latin letters a clerk would type instead.
 */
const FOLDED_LETTERS: Readonly<Record<string, string>> = {
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  ħ: 'h',
  ı: 'i',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  þ: 'th',
};
const FOLDABLE = new RegExp(`[${Object.keys(FOLDED_LETTERS).join('')}]`, 'g');

export interface NormalizeNameOptions {
  /**
   * Read a name with exactly one comma as "LAST, First" and put it in reading order ("first last").
   * Right for people (OFAC writes individuals so, and a customer who typed a comma meant the same);
   * wrong for companies ("ANGLO-CARIBBEAN CO., LTD."), whose commas are part of the name. Default true.
   */
  reorder_last_first?: boolean;
}

/**
 * The form names are compared in: compatibility-decomposed (NFKD) with the diacritics dropped,
 * lowercase, every run of punctuation, hyphens and spaces one space, "LAST, First" as "first last".
 * "MÜLLER-ŁUKASZEWICZ, Jörg" becomes "jorg muller lukaszewicz". Letters of every script stay.
 */
export function normalizeName(name: string, options: NormalizeNameOptions = {}): string {
  let text = name;
  if (options.reorder_last_first ?? true) {
    const parts = text.split(',');
    const [last, first] = parts;
    if (
      parts.length === 2 &&
      last !== undefined &&
      first !== undefined &&
      last.trim() !== '' &&
      first.trim() !== ''
    )
      text = `${first} ${last}`;
  }
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(FOLDABLE, (letter) => FOLDED_LETTERS[letter] ?? letter)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The tokens of a normalized name in sorted order, so "ali hassan" and "hassan ali" compare equal. */
export function sortedTokens(normalized: string): string {
  return normalized.split(' ').sort().join(' ');
}
