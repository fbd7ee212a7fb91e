import Format from 'typebox/format';

const ISO_INSTANT_YEAR = /^(\d{4})-/;

/**
 * `date-time` as the API means it: RFC 3339 (TypeBox's own check) and also an instant that JavaScript
 * and Postgres can both hold. RFC 3339 admits a leap second (`23:59:60`) and year 0000, which neither
 * `Date` nor Postgres `timestamptz` accept; such a value is a 400, never a failure further in.
 */
export function isApiDateTime(value: string): boolean {
  if (!Format.IsDateTime(value)) return false;
  const year = Number(ISO_INSTANT_YEAR.exec(value)?.[1] ?? '0');
  return year >= 1 && !Number.isNaN(Date.parse(value));
}

Format.Set('date-time', isApiDateTime);
