/**
 * Country names (as OFAC writes them in remarks) to ISO 3166-1 alpha-2 codes.
 *
 * The names come from the runtime's CLDR data (`Intl.DisplayNames` over every two-letter code, in
 * their long and short English forms), so there is no big hand-written table to keep up to date.
 * Only what CLDR does not say is written here: codes that are not countries, and the few names OFAC
 * uses that CLDR does not ("Burma" comes free from "Myanmar (Burma)", "Korea, North" from reading
 * "A, B" as "B A", but "Turkey" is "Türkiye" in CLDR).
 */

/** ISO 3166 "exceptionally reserved" codes CLDR names but which are not countries a party can have. */
const NOT_COUNTRIES = new Set(['AC', 'CP', 'CQ', 'DG', 'EA', 'EU', 'EZ', 'IC', 'TA', 'UN']);

/** ISO 3166-1 user-assigned codes (AA, QM-QZ, XA-XZ, ZZ); XK is the code everyone uses for Kosovo. */
function isUserAssigned(code: string): boolean {
  return (
    code === 'AA' ||
    code === 'ZZ' ||
    (code >= 'QM' && code <= 'QZ') ||
    (code.startsWith('X') && code !== 'XK')
  );
}

/** Names OFAC (and people) use that CLDR does not give, keyed like {@link countryKey}. */
const VARIANTS: ReadonlyArray<readonly [string, string]> = [
  ['Turkey', 'TR'],
  ['Russian Federation', 'RU'],
  ['Democratic Republic of the Congo', 'CD'],
  ['Republic of the Congo', 'CG'],
  ['Czech Republic', 'CZ'],
  ['Macau', 'MO'],
  ['Macedonia', 'MK'],
  ['Swaziland', 'SZ'],
  ['Cabo Verde', 'CV'],
  ['East Timor', 'TL'],
  ['Holy See', 'VA'],
  ['Federated States of Micronesia', 'FM'],
  ['Ivory Coast', 'CI'],
  ["Democratic People's Republic of Korea", 'KP'],
  ['Republic of Korea', 'KR'],
  ['Islamic Republic of Iran', 'IR'],
  ['West Bank', 'PS'],
  ['Gaza', 'PS'],
  ['Palestinian', 'PS'],
  ['United States of America', 'US'],
  ['USA', 'US'],
  ['Great Britain', 'GB'],
];

/**
 * The lookup key of a country name: without diacritics, lowercase, punctuation as spaces, `&` as
 * "and", "St." as "saint", and without "the" (CLDR's "St. Vincent & Grenadines" and OFAC's "Saint
 * Vincent and the Grenadines" share a key).
 */
export function countryKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((token) => token !== '' && token !== 'the')
    .map((token) => (token === 'st' ? 'saint' : token))
    .join(' ');
}

/** Every form of a name worth a key: itself, without a parenthesis and the parenthesis alone. */
function nameForms(name: string): string[] {
  const parenthesis = /^(.*?)\s*\(([^)]*)\)\s*$/.exec(name);
  return parenthesis === null ? [name] : [name, parenthesis[1] ?? '', parenthesis[2] ?? ''];
}

function buildCountryCodes(): ReadonlyMap<string, string> {
  const codes = new Map<string, string>();
  const add = (name: string, code: string) => {
    const key = countryKey(name);
    if (key !== '' && !codes.has(key)) codes.set(key, code);
  };
  const styles = [
    new Intl.DisplayNames(['en'], { type: 'region', style: 'long', fallback: 'code' }),
    new Intl.DisplayNames(['en'], { type: 'region', style: 'short', fallback: 'code' }),
  ];
  for (let first = 65; first <= 90; first += 1) {
    for (let second = 65; second <= 90; second += 1) {
      const code = String.fromCharCode(first, second);
      if (NOT_COUNTRIES.has(code) || isUserAssigned(code)) continue;
      // Withdrawn codes (BU, SU, UK, ZR, ...) canonicalize to their successors (MM, RU, GB, CD).
      const canonical =
        new Intl.Locale(Intl.getCanonicalLocales(`und-${code}`)[0] ?? `und-${code}`).region ?? code;
      if (NOT_COUNTRIES.has(canonical)) continue;
      for (const displayNames of styles) {
        const name = displayNames.of(code);
        if (name === undefined || name === code) continue;
        for (const form of nameForms(name)) add(form, canonical);
      }
    }
  }
  for (const [name, code] of VARIANTS) add(name, code);
  return codes;
}

let countryCodes: ReadonlyMap<string, string> | undefined;

/** The map, built on first use (about 300 names, under a millisecond) and kept: it never changes. */
function countryCodesByKey(): ReadonlyMap<string, string> {
  countryCodes ??= buildCountryCodes();
  return countryCodes;
}

/**
 * The ISO 3166-1 alpha-2 code of a country name ("Iran", "Korea, North", "Burma", "Côte d'Ivoire"),
 * or null when the name is not one. OFAC's inverted names ("Congo, Democratic Republic of the") are
 * read as "B A" too.
 */
export function countryCodeOf(name: string): string | null {
  const known = lookups.get(name);
  if (known !== undefined) return known;
  const code = lookUp(name);
  // A list repeats its few hundred country phrases thousands of times; the cache stays bounded.
  if (lookups.size >= LOOKUPS_CACHED_MAX) lookups.clear();
  lookups.set(name, code);
  return code;
}

const LOOKUPS_CACHED_MAX = 10_000;
const lookups = new Map<string, string | null>();

function lookUp(name: string): string | null {
  const codes = countryCodesByKey();
  for (const form of nameForms(name.trim().replace(/\.$/, ''))) {
    const direct = codes.get(countryKey(form));
    if (direct !== undefined) return direct;
    const parts = form.split(',');
    if (parts.length === 2) {
      const inverted = codes.get(countryKey(`${parts[1]} ${parts[0]}`));
      if (inverted !== undefined) return inverted;
    }
  }
  return null;
}

/**
 * The country of a place written "City, Region, Country" ("Tehran, Iran", "Pyongyang, Korea,
 * North"): the longest run of its last comma-separated parts that names a country, or null.
 */
export function countryCodeOfPlace(place: string): string | null {
  const parts = place.split(',');
  for (let start = 0; start < parts.length; start += 1) {
    const code = countryCodeOf(parts.slice(start).join(','));
    if (code !== null) return code;
  }
  return null;
}
