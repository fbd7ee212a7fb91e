import { describe, expect, it } from 'vitest';
import { KeyringError } from './errors';
import { generateKey, parseKeyring } from './keyring';

describe('generateKey', () => {
  it('returns base64 of 32 random bytes', () => {
    const key = generateKey();
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(generateKey()).not.toBe(key);
  });
});

describe('parseKeyring', () => {
  it('reads comma-separated key_id:base64 entries', () => {
    const keyring = parseKeyring(`k2026a:${generateKey()}, k2025:${generateKey()}`);
    expect([...keyring.keys()]).toEqual(['k2026a', 'k2025']);
    expect(keyring.get('k2026a')?.symmetricKeySize).toBe(32);
  });

  it('keeps the key bytes', () => {
    const key = generateKey();
    expect(parseKeyring(`k1:${key}`).get('k1')?.export().toString('base64')).toBe(key);
  });

  it.each([
    ['', /holds no keys/],
    ['   ', /holds no keys/],
    ['k1', /entry 1 is not "key_id:base64_key"/],
    [`k1:${'A'.repeat(43)}=,`, /entry 2 is not "key_id:base64_key"/],
    [`:${'A'.repeat(43)}=`, /entry 1 has a bad key id/],
    [`k 1:${'A'.repeat(43)}=`, /entry 1 has a bad key id/],
    [`${'k'.repeat(65)}:${'A'.repeat(43)}=`, /entry 1 has a bad key id/],
    [`k1:${'A'.repeat(43)}=,k1:${'B'.repeat(43)}=`, /key id "k1" appears twice/],
    ['k1:c2hvcnQ=', /key "k1" must be 32 bytes in standard base64/],
    [`k1:${Buffer.alloc(33).toString('base64')}`, /key "k1" must be 32 bytes/],
    [`k1:${'A'.repeat(43)}`, /key "k1" must be 32 bytes/],
    [`k1:${'-'.repeat(43)}=`, /key "k1" must be 32 bytes/],
    // Non-canonical: the last character carries bits that do not fit in 32 bytes.
    [`k1:${'A'.repeat(42)}B=`, /key "k1" must be 32 bytes/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseKeyring(spec)).toThrowError(KeyringError);
    expect(() => parseKeyring(spec)).toThrowError(message);
  });

  it('never echoes key material in an error', () => {
    const secret = generateKey().slice(0, 40);
    let message = '';
    try {
      parseKeyring(`k1:${secret}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/k1/);
    expect(message).not.toContain(secret);
  });

  it('keys do not print their bytes', () => {
    const key = generateKey();
    const keyring = parseKeyring(`k1:${key}`);
    expect(JSON.stringify([...keyring])).not.toContain(key);
    expect(String(keyring.get('k1'))).not.toContain(key);
  });
});
