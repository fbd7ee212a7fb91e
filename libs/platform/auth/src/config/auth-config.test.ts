import { ConfigError, loadConfig } from '@ledgerline/config';
import { describe, expect, it } from 'vitest';
import { generateTestKeyPair } from '../testing/index';
import { AuthConfigSchema, jwtOptionsFromConfig } from './auth-config';

const oneLine = (pem: string) => pem.trim().replaceAll('\n', '\\n');

describe('jwtOptionsFromConfig', () => {
  it('reads HS256 with defaults for issuer, audience and lifetime', () => {
    const config = loadConfig(AuthConfigSchema, { JWT_SECRET: 'x'.repeat(32) });
    expect(jwtOptionsFromConfig(config)).toEqual({
      algorithm: 'HS256',
      secret: 'x'.repeat(32),
      issuer: 'ledgerline',
      audience: 'ledgerline-api',
      ttl_seconds: 900,
    });
  });

  it('refuses a short HS256 secret without echoing it', () => {
    expect(() => loadConfig(AuthConfigSchema, { JWT_SECRET: 'short-secret' })).toThrowError(
      /JWT_SECRET .*\(hidden\)/,
    );
  });

  it('reads several one-line PEM public keys and the active signing key', () => {
    const current = generateTestKeyPair('ES256');
    const previous = generateTestKeyPair('ES256');
    const config = loadConfig(AuthConfigSchema, {
      JWT_ALGORITHM: 'ES256',
      JWT_PUBLIC_KEYS: `2026-02=${oneLine(current.public_key)},2026-01=${oneLine(previous.public_key)}`,
      JWT_PRIVATE_KEY: oneLine(current.private_key),
      JWT_ACTIVE_KID: '2026-02',
    });
    const options = jwtOptionsFromConfig(config);
    expect(options).toMatchObject({
      algorithm: 'ES256',
      signing: { kid: '2026-02', private_key: current.private_key.trim() },
    });
    expect(options.algorithm !== 'HS256' && options.public_keys).toEqual({
      '2026-02': current.public_key.trim(),
      '2026-01': previous.public_key.trim(),
    });
  });

  it('names what is missing or inconsistent in one line', () => {
    const key = generateTestKeyPair('RS256');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /JWT_SECRET must be set when JWT_ALGORITHM is HS256/],
      [{ JWT_ALGORITHM: 'RS256' }, /JWT_PUBLIC_KEYS must be set/],
      [
        {
          JWT_ALGORITHM: 'RS256',
          JWT_SECRET: 'y'.repeat(32),
          JWT_PUBLIC_KEYS: `a=${oneLine(key.public_key)}`,
        },
        /JWT_SECRET must not be set/,
      ],
      [{ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEYS: 'nonsense' }, /kid=PEM/],
      [
        {
          JWT_ALGORITHM: 'RS256',
          JWT_PUBLIC_KEYS: `a=${oneLine(key.public_key)},a=${oneLine(key.public_key)}`,
        },
        /kid a twice/,
      ],
      [
        { JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEYS: `a=${oneLine(key.public_key)}`, JWT_ACTIVE_KID: 'a' },
        /must be set together/,
      ],
      [
        {
          JWT_ALGORITHM: 'RS256',
          JWT_PUBLIC_KEYS: `a=${oneLine(key.public_key)}`,
          JWT_ACTIVE_KID: 'b',
          JWT_PRIVATE_KEY: oneLine(key.private_key),
        },
        /JWT_ACTIVE_KID b is not in/,
      ],
    ];
    for (const [environment, message] of cases) {
      const config = loadConfig(AuthConfigSchema, environment);
      expect(() => jwtOptionsFromConfig(config)).toThrowError(ConfigError);
      expect(() => jwtOptionsFromConfig(config)).toThrowError(message);
    }
  });
});
