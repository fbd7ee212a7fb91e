import type { Static, TSchema } from 'typebox';
import Value from 'typebox/value';
import { validationFailed } from '../problems/problem-error';

/** A keyset value a cursor may carry. */
export type CursorValue = string | number | boolean | null;

/** Makes an opaque cursor: base64url of a small JSON object of keyset values. */
export function encodeCursor(values: Readonly<Record<string, CursorValue>>): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor}. With a schema the values are checked against it and
 * typed. A cursor that is not ours is a 400 `validation_failed` problem, never a 500.
 */
export function decodeCursor(cursor: string): Record<string, CursorValue>;
export function decodeCursor<T extends TSchema>(cursor: string, schema: T): Static<T>;
export function decodeCursor(cursor: string, schema?: TSchema): unknown {
  const decoded = parse(cursor);
  if (decoded === undefined || (schema !== undefined && !Value.Check(schema, decoded))) {
    throw validationFailed(
      [{ path: '/query/cursor', message: 'is not a valid cursor' }],
      'The cursor is not valid.',
    );
  }
  return decoded;
}

function parse(cursor: string): Record<string, CursorValue> | undefined {
  if (cursor.length === 0 || cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    for (const item of Object.values(value)) {
      if (item !== null && !['string', 'number', 'boolean'].includes(typeof item)) return undefined;
    }
    return value as Record<string, CursorValue>;
  } catch {
    return undefined;
  }
}
