/** Input limits for customers; the HTTP schemas use the same numbers. */
export const CUSTOMER_LIMITS = Object.freeze({
  full_name_length_max: 200,
  email_length_max: 254,
  /** Nobody alive was born before this. */
  date_of_birth_min: '1900-01-01',
});

/** A pragmatic address check: one `@`, no spaces or control characters, a dot in the domain. */
export const EMAIL_PATTERN = '^[^\\s@\\p{Cc}]+@[^\\s@\\p{Cc}]+\\.[^\\s@\\p{Cc}]+$';
const EMAIL = new RegExp(EMAIL_PATTERN, 'u');
export const COUNTRY_PATTERN = '^[A-Z]{2}$';
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const DATE = new RegExp(DATE_PATTERN);

export function isValidFullName(value: string): boolean {
  const trimmed = value.trim();
  // No control characters: names end up in screening, reports and CSV exports.
  return trimmed.length > 0 && value.length <= CUSTOMER_LIMITS.full_name_length_max && !/\p{Cc}/u.test(value);
}

export function isValidEmail(value: string): boolean {
  return value.length <= CUSTOMER_LIMITS.email_length_max && EMAIL.test(value);
}

export function isValidCountry(value: string): boolean {
  return /^[A-Z]{2}$/.test(value);
}

/** A real calendar date (`YYYY-MM-DD`), not before 1900 and not after `today`. */
export function isValidDateOfBirth(value: string, today: Date = new Date()): boolean {
  if (!DATE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) return false;
  return value >= CUSTOMER_LIMITS.date_of_birth_min && value <= today.toISOString().slice(0, 10);
}
