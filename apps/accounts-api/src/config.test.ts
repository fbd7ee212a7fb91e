import { jwtOptionsFromConfig } from '@ledgerline/auth';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { createEnvelopeCipher, KeyringError, parseKeyring } from '@ledgerline/crypto';
import { describe, expect, it } from 'vitest';
import {
  AccountsApiConfigSchema,
  bootstrapAdminOf,
  DEV_ENCRYPTION_KEY_ID,
  DEV_ENCRYPTION_KEYS,
} from './config';

const JWT_SECRET = 'a-jwt-secret-for-the-config-test-0123456789';

describe('AccountsApiConfigSchema', () => {
  it('defaults to port 3001 and the local-only development keyring', () => {
    const config = loadConfig(AccountsApiConfigSchema, { JWT_SECRET });
    expect(config).toMatchObject({
      PORT: 3001,
      HOST: '127.0.0.1',
      ENCRYPTION_KEYS: DEV_ENCRYPTION_KEYS,
      ENCRYPTION_ACTIVE_KEY_ID: DEV_ENCRYPTION_KEY_ID,
      TRUST_PROXY: 'false',
      RATE_LIMIT_MAX: 1200,
    });
    expect(DEV_ENCRYPTION_KEY_ID).toMatch(/dev.*local/);
    const cipher = createEnvelopeCipher({
      keyring: parseKeyring(config.ENCRYPTION_KEYS),
      active_key_id: config.ENCRYPTION_ACTIVE_KEY_ID,
    });
    expect(cipher.active_key_id).toBe(DEV_ENCRYPTION_KEY_ID);
    expect(jwtOptionsFromConfig(config)).toMatchObject({ algorithm: 'HS256' });
    expect(bootstrapAdminOf(config)).toBeNull();
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig(AccountsApiConfigSchema, {
      JWT_SECRET,
      PORT: '8081',
      TRUST_PROXY: 'true',
      ENCRYPTION_KEYS: 'k2027:V/AFPuIRPH3LhaEnRi0kv1MobrN9krGpyLwzXzBEhP4=',
      ENCRYPTION_ACTIVE_KEY_ID: 'k2027',
      BOOTSTRAP_ADMIN_CLIENT_ID: 'root',
      BOOTSTRAP_ADMIN_CLIENT_SECRET: 'x'.repeat(40),
    });
    expect(config).toMatchObject({ PORT: 8081, TRUST_PROXY: 'true', ENCRYPTION_ACTIVE_KEY_ID: 'k2027' });
    expect(bootstrapAdminOf(config)).toEqual({ client_id: 'root', client_secret: 'x'.repeat(40) });
  });

  it('fails with one line naming the variable', () => {
    expect(() => loadConfig(AccountsApiConfigSchema, { JWT_SECRET, PORT: 'eighty' })).toThrow(
      /^Invalid configuration: PORT /,
    );
    expect(() =>
      loadConfig(AccountsApiConfigSchema, { JWT_SECRET, BOOTSTRAP_ADMIN_CLIENT_SECRET: 'short' }),
    ).toThrow(/BOOTSTRAP_ADMIN_CLIENT_SECRET.*\(hidden\)/);
    expect(() => jwtOptionsFromConfig(loadConfig(AccountsApiConfigSchema, {}))).toThrow(
      /JWT_SECRET must be set/,
    );
  });

  it('needs both bootstrap variables or neither', () => {
    const config = loadConfig(AccountsApiConfigSchema, { JWT_SECRET, BOOTSTRAP_ADMIN_CLIENT_ID: 'root' });
    expect(() => bootstrapAdminOf(config)).toThrow(ConfigError);
  });

  it('refuses a keyring without the active key, without echoing key material', () => {
    const config = loadConfig(AccountsApiConfigSchema, { JWT_SECRET, ENCRYPTION_ACTIVE_KEY_ID: 'k2030' });
    const build = () =>
      createEnvelopeCipher({
        keyring: parseKeyring(config.ENCRYPTION_KEYS),
        active_key_id: config.ENCRYPTION_ACTIVE_KEY_ID,
      });
    expect(build).toThrow(KeyringError);
    expect(build).toThrow(/active key id "k2030"/);
    expect(build).not.toThrow(/V\/AFPuIRPH3L/);
  });
});
