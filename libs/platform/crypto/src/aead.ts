import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Version 1 of the sealed format, used for field ciphertexts and wrapped data keys alike:
 *
 *     [version: 1 byte = 0x01][iv: 12 bytes][auth tag: 16 bytes][ciphertext: n bytes]
 *
 * AES-256-GCM with a random 96-bit IV. The version byte leads so that a later format (another cipher,
 * a key-committing scheme) can be read beside this one; it is also part of the authenticated data, so
 * it cannot be changed without detection.
 */
export const FORMAT_VERSION_1 = 0x01;
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** Why {@link open} failed, for the caller to turn into a message with its own context. */
export type OpenFailure = 'too_short' | 'unsupported_version' | 'authentication_failed';

/**
 * Encrypts `plaintext` under `key`. `context` is authenticated but not stored: the same context must
 * be given to {@link open}, which is how a ciphertext is bound to its field name or key id.
 */
export function seal(key: KeyObject | Buffer, plaintext: Buffer, context: Buffer): Buffer {
  const version = Buffer.of(FORMAT_VERSION_1);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([version, context]));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([version, iv, cipher.getAuthTag(), ciphertext]);
}

/** Decrypts what {@link seal} wrote with the same key and context, or says why it cannot. */
export function open(
  key: KeyObject | Buffer,
  sealed: Uint8Array,
  context: Buffer,
): { ok: true; plaintext: Buffer } | { ok: false; failure: OpenFailure } {
  if (sealed.length < HEADER_BYTES) return { ok: false, failure: 'too_short' };
  if (sealed[0] !== FORMAT_VERSION_1) return { ok: false, failure: 'unsupported_version' };
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
  // authTagLength pins the tag to 16 bytes, so a truncated tag can never be accepted.
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.concat([sealed.subarray(0, 1), context]));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(sealed.subarray(HEADER_BYTES));
  try {
    return { ok: true, plaintext: Buffer.concat([plaintext, decipher.final()]) };
  } catch {
    // GCM released unauthenticated plaintext from update(); wipe it before anyone can look at it.
    plaintext.fill(0);
    return { ok: false, failure: 'authentication_failed' };
  }
}
