/**
 * A sanctions entry's date of birth, as stored: ISO 8601 at the precision OFAC gives it, a date
 * (`1951-06-10`), a month (`1951-06`), a year (`1951`), or a range of dates (`1950-01-01/1955-12-31`).
 */
export const ENTRY_DATE_OF_BIRTH_PATTERN =
  /^(?:[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?|[0-9]{4}-[0-9]{2}-[0-9]{2}\/[0-9]{4}-[0-9]{2}-[0-9]{2})$/;

/**
 * Whether a customer born on `date_of_birth` (`YYYY-MM-DD`) fits an entry's date of birth: the same
 * date; the same month or year when the entry gives only that; within a range, both ends included.
 * ISO dates of equal length compare as strings.
 */
export function dateOfBirthMatches(entry_date_of_birth: string, date_of_birth: string): boolean {
  const range = entry_date_of_birth.split('/');
  if (range.length === 2) {
    const [from, to] = range as [string, string];
    return from <= date_of_birth && date_of_birth <= to;
  }
  if (entry_date_of_birth.length === 10) return entry_date_of_birth === date_of_birth;
  return date_of_birth.startsWith(`${entry_date_of_birth}-`);
}
