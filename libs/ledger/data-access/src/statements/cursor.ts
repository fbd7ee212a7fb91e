/**
 * Opaque statement cursors: base64url of a small JSON naming the account and the account_sequence of
 * the last entry returned. The account is inside so a cursor cannot be replayed against another one.
 */
export interface EntriesCursor {
  account_id: string;
  account_sequence: bigint;
}

const SEQUENCE = /^[1-9][0-9]{0,18}$/;

export function encodeEntriesCursor(cursor: EntriesCursor): string {
  const json = JSON.stringify({ a: cursor.account_id, s: cursor.account_sequence.toString() });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Returns null for anything that is not a cursor this module wrote. */
export function decodeEntriesCursor(text: string): EntriesCursor | null {
  if (text.length === 0 || text.length > 200) return null;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { a, s } = value as { a?: unknown; s?: unknown };
    if (typeof a !== 'string' || typeof s !== 'string' || !SEQUENCE.test(s)) return null;
    return { account_id: a, account_sequence: BigInt(s) };
  } catch {
    return null;
  }
}
