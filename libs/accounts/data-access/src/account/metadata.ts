/** A JSON value as stored in a `jsonb` column. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Metadata = { [key: string]: JsonValue };

/** Limits on client-supplied metadata: it is a label, not a document store. */
export const METADATA_LIMITS = Object.freeze({
  /** UTF-8 bytes of the compact JSON text. */
  bytes_max: 4096,
  /** The top-level object counts as depth 1. */
  depth_max: 3,
  /** Keys in any one object. */
  keys_max: 50,
  key_length_max: 64,
});

export type MetadataCheck =
  { ok: true; value: Metadata } | { ok: false; error: 'invalid_metadata'; reason: string };

/**
 * Checks that `value` is a small JSON object: bounded size, depth and key count, finite numbers,
 * and no NUL characters (Postgres `jsonb` cannot store `\u0000`).
 */
export function checkMetadata(value: unknown): MetadataCheck {
  if (!isPlainObject(value)) return invalid('metadata must be a JSON object');
  const problem = findProblem(value, 1);
  if (problem !== undefined) return invalid(problem);
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > METADATA_LIMITS.bytes_max) {
    return invalid(`metadata must be at most ${METADATA_LIMITS.bytes_max} bytes of JSON (got ${bytes})`);
  }
  return { ok: true, value: value as Metadata };
}

function findProblem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'string')
    return value.includes('\u0000') ? 'metadata strings must not contain NUL' : undefined;
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : 'metadata numbers must be finite';
  if (depth > METADATA_LIMITS.depth_max)
    return `metadata must be at most ${METADATA_LIMITS.depth_max} levels deep`;
  if (Array.isArray(value)) {
    if (value.length > METADATA_LIMITS.keys_max)
      return `metadata arrays must have at most ${METADATA_LIMITS.keys_max} items`;
    for (const item of value) {
      const problem = findProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return 'metadata must contain only JSON values';
  const keys = Object.keys(value);
  if (keys.length > METADATA_LIMITS.keys_max)
    return `metadata objects must have at most ${METADATA_LIMITS.keys_max} keys`;
  for (const key of keys) {
    if (key.length === 0 || key.length > METADATA_LIMITS.key_length_max) {
      return `metadata keys must be 1 to ${METADATA_LIMITS.key_length_max} characters`;
    }
    if (key.includes('\u0000')) return 'metadata keys must not contain NUL';
    const problem = findProblem(value[key], depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function invalid(reason: string): MetadataCheck {
  return { ok: false, error: 'invalid_metadata', reason };
}
