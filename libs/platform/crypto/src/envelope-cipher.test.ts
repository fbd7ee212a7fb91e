import { describe, expect, it } from 'vitest';
import { createEnvelopeCipher, type EncryptedRecord } from './envelope-cipher';
import { DecryptionError, KeyringError, UnknownKeyError } from './errors';
import { generateKey, parseKeyring } from './keyring';

const key2025 = generateKey();
const key2026 = generateKey();
const fields = { full_name: 'Ada Lovelace', email: 'ada@example.com', date_of_birth: null };

function flipByte(bytes: Buffer, index: number): Buffer {
  const altered = Buffer.from(bytes);
  altered[index] = altered[index]! ^ 0xff;
  return altered;
}

describe('createEnvelopeCipher', () => {
  const cipher = createEnvelopeCipher({
    keyring: parseKeyring(`k2026a:${key2026}`),
    active_key_id: 'k2026a',
  });

  it('round-trips a record, keeping nulls as nulls', () => {
    const encrypted = cipher.encryptRecord(fields);
    expect(encrypted.key_id).toBe('k2026a');
    expect(encrypted.ciphertexts.date_of_birth).toBeNull();
    expect(encrypted.ciphertexts.full_name).toBeInstanceOf(Buffer);
    expect(cipher.decryptRecord(encrypted)).toEqual(fields);
  });

  it('round-trips empty strings, non-ASCII text and awkward field names', () => {
    // fromEntries, not a literal: in a literal `__proto__` would set the prototype instead of a field.
    const awkward: Record<string, string> = Object.fromEntries([
      ['', ''],
      ['__proto__', 'Zoë Ñúñez 山田 🎉'],
      ['constructor', 'x'.repeat(10_000)],
    ]);
    const decrypted = cipher.decryptRecord(cipher.encryptRecord(awkward));
    expect(Object.keys(decrypted).sort()).toEqual(['', '__proto__', 'constructor']);
    expect(decrypted).toEqual(awkward);
    expect(Object.getPrototypeOf(decrypted)).toBe(Object.prototype);
  });

  it('stores no plaintext and uses a fresh data key per record', () => {
    const a = cipher.encryptRecord(fields);
    const b = cipher.encryptRecord(fields);
    expect(a.ciphertexts.email!.includes(Buffer.from('ada@example.com'))).toBe(false);
    expect(a.wrapped_data_key.equals(b.wrapped_data_key)).toBe(false);
    expect(a.ciphertexts.email!.equals(b.ciphertexts.email!)).toBe(false);
  });

  it('starts every blob with format version 1', () => {
    const encrypted = cipher.encryptRecord(fields);
    expect(encrypted.wrapped_data_key[0]).toBe(1);
    expect(encrypted.wrapped_data_key).toHaveLength(1 + 12 + 16 + 32);
    expect(encrypted.ciphertexts.full_name![0]).toBe(1);
  });

  it('accepts plain Uint8Arrays as read from Prisma', () => {
    const encrypted = cipher.encryptRecord(fields);
    const fromDatabase = {
      key_id: encrypted.key_id,
      wrapped_data_key: new Uint8Array(encrypted.wrapped_data_key),
      ciphertexts: {
        full_name: new Uint8Array(encrypted.ciphertexts.full_name!),
        email: new Uint8Array(encrypted.ciphertexts.email!),
        date_of_birth: null,
      },
    };
    expect(cipher.decryptRecord(fromDatabase)).toEqual(fields);
  });

  it('refuses text with lone surrogates rather than store altered data', () => {
    expect(() => cipher.encryptRecord({ full_name: 'Ada \ud800' })).toThrowError(/not well-formed text/);
  });

  it('fails at start-up if the active key id is not in the keyring', () => {
    expect(() =>
      createEnvelopeCipher({ keyring: parseKeyring(`k2025:${key2025}`), active_key_id: 'k2026a' }),
    ).toThrowError(KeyringError);
    expect(() =>
      createEnvelopeCipher({ keyring: parseKeyring(`k2025:${key2025}`), active_key_id: 'k2026a' }),
    ).toThrowError('Invalid keyring: the active key id "k2026a" is not in the keyring (k2025)');
  });
});

describe('tamper detection', () => {
  const cipher = createEnvelopeCipher({
    keyring: parseKeyring(`k2026a:${key2026}`),
    active_key_id: 'k2026a',
  });
  const encrypted = cipher.encryptRecord(fields);

  it('detects any flipped byte in a field ciphertext', () => {
    const sealed = encrypted.ciphertexts.email!;
    for (let index = 0; index < sealed.length; index += 1) {
      const altered = {
        ...encrypted,
        ciphertexts: { ...encrypted.ciphertexts, email: flipByte(sealed, index) },
      };
      expect(() => cipher.decryptRecord(altered)).toThrowError(DecryptionError);
    }
    const altered = { ...encrypted, ciphertexts: { ...encrypted.ciphertexts, email: flipByte(sealed, 20) } };
    expect(() => cipher.decryptRecord(altered)).toThrowError(
      'Cannot decrypt field "email": it was altered, moved, or encrypted under another key',
    );
  });

  it('detects any flipped byte in the wrapped data key', () => {
    for (let index = 0; index < encrypted.wrapped_data_key.length; index += 1) {
      const altered = { ...encrypted, wrapped_data_key: flipByte(encrypted.wrapped_data_key, index) };
      expect(() => cipher.decryptRecord(altered)).toThrowError(DecryptionError);
      expect(() => cipher.rewrapDataKey(altered)).toThrowError(DecryptionError);
    }
  });

  it('detects fields swapped within a record', () => {
    const swapped = {
      ...encrypted,
      ciphertexts: {
        ...encrypted.ciphertexts,
        full_name: encrypted.ciphertexts.email,
        email: encrypted.ciphertexts.full_name,
      },
    };
    expect(() => cipher.decryptRecord(swapped)).toThrowError(/Cannot decrypt field "full_name"/);
  });

  it('detects a field moved from another record', () => {
    const other = cipher.encryptRecord(fields);
    const moved = { ...encrypted, ciphertexts: { ...encrypted.ciphertexts, email: other.ciphertexts.email } };
    expect(() => cipher.decryptRecord(moved)).toThrowError(/Cannot decrypt field "email"/);
  });

  it('detects truncation and an unknown format version', () => {
    const truncated = {
      ...encrypted,
      ciphertexts: { ...encrypted.ciphertexts, email: encrypted.ciphertexts.email!.subarray(0, 10) },
    };
    expect(() => cipher.decryptRecord(truncated)).toThrowError(/too short/);
    const version2 = Buffer.from(encrypted.wrapped_data_key);
    version2[0] = 2;
    expect(() => cipher.decryptRecord({ ...encrypted, wrapped_data_key: version2 })).toThrowError(
      'Cannot unwrap the data key wrapped by "k2026a": its format version is not one this code reads',
    );
  });

  it('detects a record relabelled with another key id', () => {
    const both = createEnvelopeCipher({
      keyring: parseKeyring(`k2026a:${key2026},k2025:${key2025}`),
      active_key_id: 'k2026a',
    });
    expect(() => both.decryptRecord({ ...encrypted, key_id: 'k2025' })).toThrowError(
      /Cannot unwrap the data key wrapped by "k2025"/,
    );
  });

  it('names an unknown key id clearly', () => {
    const record: EncryptedRecord = { ...encrypted, key_id: 'k2019' };
    expect(() => cipher.decryptRecord(record)).toThrowError(UnknownKeyError);
    expect(() => cipher.decryptRecord(record)).toThrowError(
      'Unknown key id "k2019"; the keyring holds "k2026a"',
    );
    expect(() => cipher.rewrapDataKey(record)).toThrowError(UnknownKeyError);
  });
});

describe('key rotation', () => {
  it('re-wraps to the new key without touching field ciphertexts, then works without the old key', () => {
    const before = createEnvelopeCipher({
      keyring: parseKeyring(`k2025:${key2025}`),
      active_key_id: 'k2025',
    });
    const encrypted = before.encryptRecord(fields);
    expect(encrypted.key_id).toBe('k2025');

    // During rotation the keyring holds both keys and the new one is active.
    const during = createEnvelopeCipher({
      keyring: parseKeyring(`k2026a:${key2026},k2025:${key2025}`),
      active_key_id: 'k2026a',
    });
    expect(during.decryptRecord(encrypted)).toEqual(fields);
    const rewrapped = during.rewrapDataKey(encrypted);
    expect(rewrapped.key_id).toBe('k2026a');
    expect(rewrapped.wrapped_data_key.equals(encrypted.wrapped_data_key)).toBe(false);
    const rotated = { ...encrypted, ...rewrapped };
    expect(during.decryptRecord(rotated)).toEqual(fields);
    // A record not yet re-wrapped still decrypts with the old key.
    expect(during.decryptRecord(encrypted)).toEqual(fields);

    // Once every record is re-wrapped, the old key can be dropped.
    const after = createEnvelopeCipher({
      keyring: parseKeyring(`k2026a:${key2026}`),
      active_key_id: 'k2026a',
    });
    expect(after.decryptRecord(rotated)).toEqual(fields);
    expect(() => after.decryptRecord(encrypted)).toThrowError(UnknownKeyError);
  });

  it('re-wrapping a record already under the active key is harmless', () => {
    const cipher = createEnvelopeCipher({
      keyring: parseKeyring(`k2026a:${key2026}`),
      active_key_id: 'k2026a',
    });
    const encrypted = cipher.encryptRecord(fields);
    const rewrapped = cipher.rewrapDataKey(encrypted);
    expect(cipher.decryptRecord({ ...encrypted, ...rewrapped })).toEqual(fields);
  });
});
