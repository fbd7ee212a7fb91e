import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { KeyringError } from './errors';

/** AES-256 keys: 32 bytes. */
export const KEY_BYTES = 32;

/** Key-encryption keys by key id. Keys are `KeyObject`s so that they never print or serialize by accident. */
export type Keyring = ReadonlyMap<string, KeyObject>;

// Key ids are stored beside every record, so keep them short and safe in any column, log or URL.
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
// Standard base64 of exactly 32 bytes: 43 characters and one '=' of padding, as generateKey() writes.
const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Parses a keyring from configuration: comma-separated `key_id:base64_key` entries, e.g.
 * `k2026a:q0V...=,k2025:Zm9...=`. Each key is 32 random bytes in standard base64 ({@link generateKey}).
 * Whitespace around entries is ignored. Throws {@link KeyringError} with a message that names the
 * entry and never echoes key material.
 */
export function parseKeyring(spec: string): Keyring {
  const keyring = new Map<string, KeyObject>();
  const entries = spec.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') throw new KeyringError('Invalid keyring: it holds no keys');
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const separator = entry.indexOf(':');
    if (separator === -1) throw new KeyringError(`Invalid keyring: ${where} is not "key_id:base64_key"`);
    const keyId = entry.slice(0, separator);
    const encoded = entry.slice(separator + 1);
    if (!KEY_ID.test(keyId)) {
      throw new KeyringError(
        `Invalid keyring: ${where} has a bad key id (1 to 64 letters, digits, "-" or "_")`,
      );
    }
    if (keyring.has(keyId)) throw new KeyringError(`Invalid keyring: key id "${keyId}" appears twice`);
    const bytes = KEY_BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    // The round trip also refuses non-canonical encodings, so one key has exactly one spelling.
    if (bytes === undefined || bytes.length !== KEY_BYTES || bytes.toString('base64') !== encoded) {
      throw new KeyringError(
        `Invalid keyring: key "${keyId}" must be ${KEY_BYTES} bytes in standard base64 (44 characters, see generateKey)`,
      );
    }
    // createSecretKey copies the bytes; wipe our copy so the key lives in one place only.
    keyring.set(keyId, createSecretKey(bytes));
    bytes.fill(0);
  });
  return keyring;
}

/** A new random key-encryption key as base64 of 32 bytes, for a keyring entry (scripts and docs). */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
