import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { cipherFromConfig, DEV_ENCRYPTION_KEY_ID, EncryptionConfigSchema } from './encryption-config';
import { generateKey } from './keyring';

describe('EncryptionConfigSchema', () => {
  it('defaults to the development keyring', () => {
    expect(cipherFromConfig(loadConfig(EncryptionConfigSchema, {})).active_key_id).toBe(
      DEV_ENCRYPTION_KEY_ID,
    );
  });

  it('builds the configured cipher, and refuses an active key that is not in the keyring', () => {
    const keys = `k2027:${generateKey()},k2026:${generateKey()}`;
    const cipher = cipherFromConfig(
      loadConfig(EncryptionConfigSchema, { ENCRYPTION_KEYS: keys, ENCRYPTION_ACTIVE_KEY_ID: 'k2026' }),
    );
    expect(cipher.active_key_id).toBe('k2026');
    expect(cipher.decryptRecord(cipher.encryptRecord({ name: 'x' }))).toEqual({ name: 'x' });
    expect(() =>
      cipherFromConfig(
        loadConfig(EncryptionConfigSchema, { ENCRYPTION_KEYS: keys, ENCRYPTION_ACTIVE_KEY_ID: 'k2030' }),
      ),
    ).toThrow(ConfigError);
  });

  it('refuses the development key in production, where customer data must be protected', () => {
    expect(() => cipherFromConfig(loadConfig(EncryptionConfigSchema, { NODE_ENV: 'production' }))).toThrow(
      /^Invalid keyring: the built-in development key is not for production/,
    );
    const keys = `k2027:${generateKey()}`;
    expect(
      cipherFromConfig(
        loadConfig(EncryptionConfigSchema, {
          NODE_ENV: 'production',
          ENCRYPTION_KEYS: keys,
          ENCRYPTION_ACTIVE_KEY_ID: 'k2027',
        }),
      ).active_key_id,
    ).toBe('k2027');
  });
});
