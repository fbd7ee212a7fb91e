import { ConfigError } from '@ledgerline/config';
import Type, { type Static } from 'typebox';
import { createEnvelopeCipher, type EnvelopeCipher } from './envelope-cipher';
import { KeyringError } from './errors';
import { parseKeyring } from './keyring';

/**
 * The development keyring used when ENCRYPTION_KEYS is not set. FOR LOCAL DEVELOPMENT ONLY: the key
 * is in the source code, so anything encrypted with it is readable by anyone. Every real deployment
 * sets ENCRYPTION_KEYS and ENCRYPTION_ACTIVE_KEY_ID; the services warn at start when it is in use, and
 * refuse to start with it under NODE_ENV=production (as the project's image sets).
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
  /** The keyring of customers' personal data, `key_id:base64,key_id:base64` (32-byte keys); the default is a development key, refused under NODE_ENV=production. */
  ENCRYPTION_KEYS: Type.String({ minLength: 1, default: DEV_ENCRYPTION_KEYS }),
  /** The key new records are encrypted with; it must be in ENCRYPTION_KEYS. */
  ENCRYPTION_ACTIVE_KEY_ID: Type.String({ minLength: 1, maxLength: 64, default: DEV_ENCRYPTION_KEY_ID }),
  /** `production` refuses the built-in development key (the project's image sets it). */
  NODE_ENV: Type.Optional(Type.String()),
});
export type EncryptionConfig = Static<typeof EncryptionConfigSchema>;

/**
 * The cipher of a loaded configuration. A bad keyring or active key id, or the development key in
 * production, is bad configuration: a one-line `ConfigError` (`Invalid keyring: ...`).
 */
export function cipherFromConfig(config: EncryptionConfig): EnvelopeCipher {
  if (config.NODE_ENV === 'production' && config.ENCRYPTION_ACTIVE_KEY_ID === DEV_ENCRYPTION_KEY_ID) {
    throw new ConfigError(
      'Invalid keyring: the built-in development key is not for production (NODE_ENV=production); set ENCRYPTION_KEYS and ENCRYPTION_ACTIVE_KEY_ID',
    );
  }
  try {
    return createEnvelopeCipher({
      keyring: parseKeyring(config.ENCRYPTION_KEYS),
      active_key_id: config.ENCRYPTION_ACTIVE_KEY_ID,
    });
  } catch (error) {
    if (error instanceof KeyringError)
      throw new ConfigError(
        error.message.startsWith('Invalid keyring') ? error.message : `Invalid keyring: ${error.message}`,
      );
    throw error;
  }
}
