import { countryCodeOf, countryCodeOfPlace } from '../countries/country-codes';

/** What matching needs from an SDN entry's Remarks. */
export interface SdnRemarks {
  /** Other names, as written (`a.k.a.`, `f.k.a.`, `n.k.a.`, strong or weak). */
  aliases: string[];
  /** ISO 3166-1 alpha-2 codes of nationalities, citizenships, places of birth and addresses. */
  countries: string[];
  /** ISO 8601, see `ENTRY_DATE_OF_BIRTH_PATTERN`. */
  dates_of_birth: string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * `a.k.a. 'NAME'`, `f.k.a. 'NAME'` (formerly), `n.k.a. 'NAME'` (now), optionally `strong` or `weak`
 * before it or `(strong)`/`(weak)` after it. The name runs to the last matching quote of the
 * segment, so "O'BRIEN" survives.
 */
const ALIAS = /^(?:(?:strong|weak)\s+)?[afn]\.k\.a\.?\s*['"‘“](.+)['"’”]\s*(?:\((?:strong|weak)\))?\s*\.?$/i;
const DATE_OF_BIRTH = /^(?:alt\.\s*)?DOB\s+(.+?)\.?$/i;
const NATIONALITY = /^(?:alt\.\s*)?(?:nationality(?:\s+of\s+registration)?|citizen(?:ship)?)\s+(.+?)\.?$/i;
const PLACE = /^(?:alt\.\s*)?(?:POB|Address:?)\s+(.+?)\.?$/i;

/**
 * Reads an SDN entry's Remarks, a `;`-separated run of statements such as
 * `DOB 10 Jun 1951; POB Tehran, Iran; nationality Iran; a.k.a. 'ABU ALI'`. Statements it does not
 * know (passports, programs' extra information) are skipped; so are dates and countries it cannot
 * read, since a wrong one would confirm matches it should not.
 */
export function parseSdnRemarks(remarks: string | null): SdnRemarks {
  const parsed: SdnRemarks = { aliases: [], countries: [], dates_of_birth: [] };
  if (remarks === null) return parsed;
  for (const raw of remarks.split(';')) {
    const segment = raw.trim();
    const alias = ALIAS.exec(segment);
    if (alias !== null) {
      const name = alias[1]?.trim() ?? '';
      if (name !== '' && !parsed.aliases.includes(name)) parsed.aliases.push(name);
      continue;
    }
    const dateOfBirth = DATE_OF_BIRTH.exec(segment);
    if (dateOfBirth !== null) {
      const value = parseDateOfBirth(dateOfBirth[1] ?? '');
      if (value !== null && !parsed.dates_of_birth.includes(value)) parsed.dates_of_birth.push(value);
      continue;
    }
    const nationality = NATIONALITY.exec(segment);
    const place = nationality === null ? PLACE.exec(segment) : null;
    const code =
      nationality !== null
        ? countryCodeOf(nationality[1] ?? '')
        : place !== null
          ? countryCodeOfPlace(place[1] ?? '')
          : null;
    if (code !== null && !parsed.countries.includes(code)) parsed.countries.push(code);
  }
  return parsed;
}

/**
 * An OFAC date of birth in ISO 8601: `10 Jun 1951`, `Jun 1951`, `1951`, `circa 1951` (taken as the
 * year: OFAC gives no width), and ranges `01 Jan 1950 to 31 Dec 1955` or `1950 to 1955`. Null when
 * it is none of these or not a real date.
 */
export function parseDateOfBirth(text: string): string | null {
  const value = text.trim().replace(/^circa\s+/i, '');
  const range = /^(.+?)\s+to\s+(.+)$/i.exec(value);
  if (range !== null) {
    const from = parseDate(range[1] ?? '', 'start');
    const to = parseDate(range[2] ?? '', 'end');
    return from !== null && to !== null && from <= to ? `${from}/${to}` : null;
  }
  return parseDate(value, 'exact');
}

/**
 * One OFAC date. `exact` keeps its precision (`1951`, `1951-06`, `1951-06-10`); `start` and `end`
 * widen a year or month to its first or last day, for the ends of a range.
 */
function parseDate(text: string, precision: 'exact' | 'start' | 'end'): string | null {
  const match = /^(?:(?:([0-9]{1,2})\s+)?([A-Za-z]{3,9})\s+)?([0-9]{4})$/.exec(
    text.trim().replace(/^circa\s+/i, ''),
  );
  if (match === null) return null;
  const [, dayText, monthText, yearText] = match;
  const year = Number(yearText);
  if (monthText === undefined) {
    if (precision === 'exact') return yearText ?? null;
    return precision === 'start' ? `${yearText}-01-01` : `${yearText}-12-31`;
  }
  const month = MONTHS.indexOf(monthText.slice(0, 3).toLowerCase()) + 1;
  if (month === 0) return null;
  const monthIso = `${yearText}-${String(month).padStart(2, '0')}`;
  if (dayText === undefined) {
    if (precision === 'exact') return monthIso;
    const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return precision === 'start' ? `${monthIso}-01` : `${monthIso}-${String(lastDay).padStart(2, '0')}`;
  }
  const iso = `${monthIso}-${dayText.padStart(2, '0')}`;
  const parsed = new Date(`${iso}T00:00:00.000Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso ? iso : null;
}
