import Type, { type Static } from 'typebox';
import { createEnvelopeCipher, type EnvelopeCipher } from './envelope-cipher';
import { parseKeyring } from './keyring';

/**
 * The development keyring used when ENCRYPTION_KEYS is not set. FOR LOCAL DEVELOPMENT ONLY: the key
 * is in the source code, so anything encrypted with it is readable by anyone. Every real deployment
 * sets ENCRYPTION_KEYS and ENCRYPTION_ACTIVE_KEY_ID, and the services warn at start when it is in use.
 */
export const DEV_ENCRYPTION_KEY_ID = 'dev-local-only';
export const DEV_ENCRYPTION_KEYS = `${DEV_ENCRYPTION_KEY_ID}:V/AFPuIRPH3LhaEnRi0kv1MobrN9krGpyLwzXzBEhP4=`;

/**
 * The configuration fragment of every process that reads customers' personal data:
 * - ENCRYPTION_KEYS: the keyring, `key_id:base64,key_id:base64` (32-byte keys, e.g. from
 *   {@link generateKey}). Keep old keys listed until key rotation has moved every customer off them.
 * - ENCRYPTION_ACTIVE_KEY_ID: the key new records are encrypted with.
 */
export const EncryptionConfigSchema = Type.Object({
  ENCRYPTION_KEYS: Type.String({ minLength: 1, default: DEV_ENCRYPTION_KEYS }),
  ENCRYPTION_ACTIVE_KEY_ID: Type.String({ minLength: 1, maxLength: 64, default: DEV_ENCRYPTION_KEY_ID }),
});
export type EncryptionConfig = Static<typeof EncryptionConfigSchema>;

/** The cipher of a loaded configuration; throws `KeyringError` for a bad keyring or active key id. */
export function cipherFromConfig(config: EncryptionConfig): EnvelopeCipher {
  return createEnvelopeCipher({ keyring: parseKeyring(config.ENCRYPTION_KEYS), active_key_id: config.ENCRYPTION_ACTIVE_KEY_ID });
}
