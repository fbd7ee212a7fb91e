/**
 * The keyring configuration is unusable: malformed, a key of the wrong length, a duplicate id, or an
 * active key id that is not in it. Thrown at start-up; the message never contains key material.
 */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/**
 * A record names a key-encryption key that the keyring does not hold, typically because a key was
 * retired before every record wrapped by it was re-wrapped.
 */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
  constructor(
    readonly key_id: string,
    known_key_ids: readonly string[],
  ) {
    super(
      `Unknown key id ${JSON.stringify(key_id)}; the keyring holds ${known_key_ids.map((id) => JSON.stringify(id)).join(', ')}`,
    );
  }
}

/**
 * Stored ciphertext could not be decrypted: it was altered, truncated, moved to another field or record,
 * wrapped by a different key than its key id says, or written in a format version this code does not know.
 */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}
