import assert from 'node:assert/strict';
import { randomBytes, type KeyObject } from 'node:crypto';
import { open, seal, type OpenFailure } from './aead';
import { DecryptionError, KeyringError, UnknownKeyError } from './errors';
import { KEY_BYTES, type Keyring } from './keyring';

/** A record's personal-data fields after encryption, as stored: one row's worth. */
export interface EncryptedRecord<F extends string = string> {
  /** Id of the key-encryption key that wrapped `wrapped_data_key`. */
  key_id: string;
  /** The record's data key, encrypted under the key-encryption key `key_id`. */
  wrapped_data_key: Buffer;
  /** One ciphertext per field; `null` where the plaintext was `null`. */
  ciphertexts: Record<F, Buffer | null>;
}

/**
 * An {@link EncryptedRecord} as read back from storage. Bytes may be any `Uint8Array` (Prisma returns
 * `Uint8Array`, `pg` returns `Buffer`).
 */
export interface StoredRecord<F extends string = string> {
  key_id: string;
  wrapped_data_key: Uint8Array;
  ciphertexts: Record<F, Uint8Array | null>;
}

/** The part of a record that key rotation touches. */
export interface WrappedDataKey {
  key_id: string;
  wrapped_data_key: Buffer;
}

/** Envelope encryption of personal data at rest. Built by {@link createEnvelopeCipher}. */
export interface EnvelopeCipher {
  /** The key id new records are wrapped with. */
  readonly active_key_id: string;
  /**
   * Encrypts every field of one record under a fresh random data key, which is wrapped by the active
   * key-encryption key. Each ciphertext is bound to its field name, so fields cannot be swapped.
   */
  encryptRecord<F extends string>(fields: Record<F, string | null>): EncryptedRecord<F>;
  /**
   * Decrypts a record written by {@link EnvelopeCipher.encryptRecord}. Throws {@link UnknownKeyError}
   * if its key id is not in the keyring and {@link DecryptionError} if anything was altered.
   */
  decryptRecord<F extends string>(record: StoredRecord<F>): Record<F, string | null>;
  /**
   * Re-wraps a record's data key under the active key, leaving the field ciphertexts untouched: key
   * rotation costs one small write per record. Store both returned values together.
   */
  rewrapDataKey(wrapped: { key_id: string; wrapped_data_key: Uint8Array }): WrappedDataKey;
}

/** Options for {@link createEnvelopeCipher}. */
export interface EnvelopeCipherOptions {
  /** Every key that may have wrapped a stored record, e.g. from {@link parseKeyring}. */
  keyring: Keyring;
  /** The key that wraps new and re-wrapped records; must be in `keyring`. */
  active_key_id: string;
}

// Domain separation: a wrapped data key can never be opened as a field, nor the other way round.
const FIELD_CONTEXT = 'ledgerline/field:';
const DATA_KEY_CONTEXT = 'ledgerline/data-key:';

const FAILURE_TEXT: Record<OpenFailure, string> = {
  too_short: 'it is too short to be a ciphertext',
  unsupported_version: 'its format version is not one this code reads',
  authentication_failed: 'it was altered, moved, or encrypted under another key',
};

/**
 * Builds the {@link EnvelopeCipher} for a keyring. Throws {@link KeyringError} if the active key id is
 * not in the keyring, so a misconfigured service fails at start-up rather than on its first write.
 */
export function createEnvelopeCipher({ keyring, active_key_id }: EnvelopeCipherOptions): EnvelopeCipher {
  const activeKey = requireActiveKey(keyring, active_key_id);

  function keyFor(keyId: string) {
    const key = keyring.get(keyId);
    if (key === undefined) throw new UnknownKeyError(keyId, [...keyring.keys()]);
    return key;
  }

  function wrap(dataKey: Buffer): Buffer {
    return seal(activeKey, dataKey, Buffer.from(DATA_KEY_CONTEXT + active_key_id, 'utf8'));
  }

  // The caller owns the returned buffer and must wipe it.
  function unwrap({ key_id, wrapped_data_key }: { key_id: string; wrapped_data_key: Uint8Array }): Buffer {
    const opened = open(keyFor(key_id), wrapped_data_key, Buffer.from(DATA_KEY_CONTEXT + key_id, 'utf8'));
    if (!opened.ok) {
      throw new DecryptionError(
        `Cannot unwrap the data key wrapped by ${JSON.stringify(key_id)}: ${FAILURE_TEXT[opened.failure]}`,
      );
    }
    if (opened.plaintext.length !== KEY_BYTES) {
      opened.plaintext.fill(0);
      throw new DecryptionError(
        `Cannot unwrap the data key wrapped by ${JSON.stringify(key_id)}: it is not a ${KEY_BYTES}-byte key`,
      );
    }
    return opened.plaintext;
  }

  return {
    active_key_id,

    encryptRecord(fields) {
      const dataKey = randomBytes(KEY_BYTES);
      try {
        const ciphertexts = Object.entries<string | null>(fields).map(([name, value]) => {
          if (value === null) return [name, null] as const;
          // Lone UTF-16 surrogates would come back as U+FFFD: refuse rather than store altered data.
          assert.ok(
            !/\p{Cs}/u.test(value),
            `encryptRecord: field ${JSON.stringify(name)} is not well-formed text`,
          );
          return [name, seal(dataKey, Buffer.from(value, 'utf8'), fieldContext(name))] as const;
        });
        return {
          key_id: active_key_id,
          wrapped_data_key: wrap(dataKey),
          // fromEntries defines own properties, so a field called "__proto__" stays a field.
          ciphertexts: Object.fromEntries(ciphertexts) as Record<keyof typeof fields, Buffer | null>,
        };
      } finally {
        // Best effort: the data key should not outlive the call in this process's memory.
        dataKey.fill(0);
      }
    },

    decryptRecord(record) {
      const dataKey = unwrap(record);
      try {
        const fields = Object.entries<Uint8Array | null>(record.ciphertexts).map(([name, sealed]) => {
          if (sealed === null) return [name, null] as const;
          const opened = open(dataKey, sealed, fieldContext(name));
          if (!opened.ok) {
            throw new DecryptionError(
              `Cannot decrypt field ${JSON.stringify(name)}: ${FAILURE_TEXT[opened.failure]}`,
            );
          }
          const text = opened.plaintext.toString('utf8');
          opened.plaintext.fill(0);
          return [name, text] as const;
        });
        return Object.fromEntries(fields) as Record<keyof typeof record.ciphertexts, string | null>;
      } finally {
        dataKey.fill(0);
      }
    },

    rewrapDataKey(wrapped) {
      const dataKey = unwrap(wrapped);
      try {
        return { key_id: active_key_id, wrapped_data_key: wrap(dataKey) };
      } finally {
        dataKey.fill(0);
      }
    },
  };
}

function requireActiveKey(keyring: Keyring, active_key_id: string): KeyObject {
  const key = keyring.get(active_key_id);
  if (key === undefined) {
    const known = [...keyring.keys()].join(', ');
    throw new KeyringError(
      `Invalid keyring: the active key id ${JSON.stringify(active_key_id)} is not in the keyring (${known})`,
    );
  }
  return key;
}

function fieldContext(name: string): Buffer {
  return Buffer.from(FIELD_CONTEXT + name, 'utf8');
}
