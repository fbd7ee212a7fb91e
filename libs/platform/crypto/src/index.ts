/**
 * Envelope encryption for personal data at rest, on `node:crypto` only.
 *
 * Each record gets a fresh random 32-byte data key; every field is sealed with AES-256-GCM under it
 * (random 12-byte IV, the field name as authenticated data so fields cannot be swapped), and the data
 * key is itself sealed under a key-encryption key named by a key id. Rotating a key-encryption key
 * re-wraps data keys ({@link EnvelopeCipher.rewrapDataKey}) and never touches field ciphertexts.
 * Every blob starts with a format version byte so the format can evolve.
 *
 * - {@link parseKeyring}: the keyring from configuration (`k2026a:BASE64,k2025:BASE64`).
 * - {@link createEnvelopeCipher}: `encryptRecord`, `decryptRecord`, `rewrapDataKey`.
 * - {@link generateKey}: a new key-encryption key, base64 of 32 random bytes.
 * - {@link EncryptionConfigSchema} and {@link cipherFromConfig}: the ENCRYPTION_KEYS /
 *   ENCRYPTION_ACTIVE_KEY_ID configuration of every process that reads personal data.
 * - {@link generateTokenSigningKeys}: a new ES256 key pair for access tokens, as the `JWT_*` variables
 *   of the services that verify tokens and of the one that signs them.
 *
 * Decryption failures throw ({@link UnknownKeyError}, {@link DecryptionError}): stored data that does
 * not decrypt is broken infrastructure or tampering, never a user error.
 */
export { parseKeyring, generateKey, type Keyring } from './keyring';
export {
  createEnvelopeCipher,
  type EnvelopeCipher,
  type EnvelopeCipherOptions,
  type EncryptedRecord,
  type StoredRecord,
  type WrappedDataKey,
} from './envelope-cipher';
export { KeyringError, UnknownKeyError, DecryptionError } from './errors';
export {
  EncryptionConfigSchema,
  cipherFromConfig,
  DEV_ENCRYPTION_KEY_ID,
  DEV_ENCRYPTION_KEYS,
  type EncryptionConfig,
} from './encryption-config';
export {
  generateTokenSigningKeys,
  isTokenKeyId,
  TOKEN_KEY_ID_PATTERN,
  type TokenSigningKeys,
} from './token-signing-keys';
export { createUuidV7Source, newUuidV7, type UuidV7Source } from './uuid-v7';
