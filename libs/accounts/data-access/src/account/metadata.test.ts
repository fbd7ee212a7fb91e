import { describe, expect, it } from 'vitest';
import { checkMetadata, METADATA_LIMITS } from './metadata';

describe('checkMetadata', () => {
  it('accepts a small object of JSON values', () => {
    const metadata = { branch: 'north', tags: ['vip', 1, true, null], limits: { daily: '100.00' } };
    expect(checkMetadata(metadata)).toEqual({ ok: true, value: metadata });
    expect(checkMetadata({})).toEqual({ ok: true, value: {} });
  });

  it('rejects anything but an object', () => {
    for (const value of [null, [], 'x', 1, true]) expect(checkMetadata(value).ok).toBe(false);
  });

  it('limits depth', () => {
    expect(checkMetadata({ a: { b: { c: 1 } } }).ok).toBe(true);
    expect(checkMetadata({ a: { b: { c: {} } } })).toMatchObject({ ok: false, reason: /levels deep/ });
    expect(checkMetadata({ a: [[[]]] }).ok).toBe(false);
  });

  it('limits size and key count', () => {
    expect(checkMetadata({ note: 'x'.repeat(METADATA_LIMITS.bytes_max) })).toMatchObject({
      ok: false,
      reason: /bytes/,
    });
    const many = Object.fromEntries(
      Array.from({ length: METADATA_LIMITS.keys_max + 1 }, (_, i) => [`k${i}`, i]),
    );
    expect(checkMetadata(many)).toMatchObject({ ok: false, reason: /keys/ });
    expect(checkMetadata({ ['k'.repeat(METADATA_LIMITS.key_length_max + 1)]: 1 }).ok).toBe(false);
  });

  it('rejects what jsonb cannot store', () => {
    expect(checkMetadata({ a: 'nul\u0000' }).ok).toBe(false);
    expect(checkMetadata({ 'nul\u0000': 1 }).ok).toBe(false);
    expect(checkMetadata({ a: Number.NaN }).ok).toBe(false);
  });
});
