/**
 * Test helpers for projects whose routes need authentication: a JWT configuration for test apps and
 * a token factory that mints good tokens for any role, and the bad ones every auth test should try.
 * Tokens are signed here with node:crypto (not through the app), so a bad token is exactly as bad
 * as the test says.
 */
import { createHmac, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { Role } from '@ledgerline/http';
import { v7 as uuidv7 } from 'uuid';
import type { AuthConfig } from '../config/auth-config';
import type { JwtOptions } from '../jwt/jwt-options';

/** HS256 options for test apps: `app.register(authPlugin, { jwt: TEST_JWT_OPTIONS })`. */
export const TEST_JWT_OPTIONS: JwtOptions = {
  algorithm: 'HS256',
  secret: 'ledgerline-test-secret-not-for-production-0123456789',
  issuer: 'ledgerline-test',
  audience: 'ledgerline-test-api',
  ttl_seconds: 900,
};

/** The same settings as environment-shaped config, for apps whose tests go through `loadConfig`. */
export const TEST_AUTH_CONFIG: AuthConfig = {
  JWT_ALGORITHM: 'HS256',
  JWT_SECRET: 'ledgerline-test-secret-not-for-production-0123456789',
  JWT_ISSUER: 'ledgerline-test',
  JWT_AUDIENCE: 'ledgerline-test-api',
  JWT_TTL_SECONDS: 900,
};

/** {@link TEST_AUTH_CONFIG} as environment variables (strings), for tests that start an app's `main.ts`. */
export const TEST_AUTH_ENVIRONMENT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TEST_AUTH_CONFIG).map(([name, value]) => [name, String(value)]),
);

/** A fresh key pair as PEM strings, for RS256/ES256 tests. */
export function generateTestKeyPair(algorithm: 'RS256' | 'ES256'): {
  private_key: string;
  public_key: string;
} {
  const pair =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        })
      : generateKeyPairSync('ec', {
          namedCurve: 'P-256',
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        });
  return { private_key: pair.privateKey, public_key: pair.publicKey };
}

export interface TokenOverrides {
  client_id?: string;
  /** For `customer` tokens; a random id when absent. */
  customer_id?: string;
  /** Extra or replaced claims (`{ exp: ... }`), or `undefined` values to remove a claim. */
  claims?: Record<string, unknown>;
  /** Extra or replaced header fields (`{ kid: 'other' }`). */
  header?: Record<string, unknown>;
}

export interface TestTokens {
  /** A valid token for `role`. */
  forRole(role: Role, overrides?: TokenOverrides): string;
  /** `Bearer <token>`, for the `authorization` header. */
  bearer(role: Role, overrides?: TokenOverrides): string;
  /** Signed correctly but expired an hour ago. */
  expired(role?: Role): string;
  wrongAudience(role?: Role): string;
  wrongIssuer(role?: Role): string;
  /** `alg: none`, no signature. */
  algNone(role?: Role): string;
  /** A valid token whose payload was then changed (role raised to admin) without re-signing. */
  tampered(role?: Role): string;
  /** HS256 with another secret. */
  wrongSecret(role?: Role): string;
  /** HS256 signed with `public_key_pem` as the HMAC secret: the RS/HS confusion attack. */
  hmacSignedWithPublicKey(public_key_pem: string, role?: Role): string;
}

/**
 * Mints tokens for `jwt` (default {@link TEST_JWT_OPTIONS}). For RS256/ES256 the options need a
 * `signing` key; the token's header names its kid.
 */
export function createTestTokens(jwt: JwtOptions = TEST_JWT_OPTIONS): TestTokens {
  const claimsFor = (role: Role, overrides: TokenOverrides = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      sub: overrides.client_id ?? `test-${role}-${uuidv7()}`,
      role,
      ...(role === 'customer' ? { customer_id: overrides.customer_id ?? uuidv7() } : {}),
      iss: jwt.issuer,
      aud: jwt.audience,
      iat: now,
      exp: now + jwt.ttl_seconds,
      jti: uuidv7(),
      ...overrides.claims,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    return claims;
  };
  const headerFor = (extra: Record<string, unknown> = {}) => ({
    alg: jwt.algorithm,
    typ: 'JWT',
    ...(jwt.algorithm !== 'HS256' && jwt.signing !== undefined ? { kid: jwt.signing.kid } : {}),
    ...extra,
  });
  const signed = (header: Record<string, unknown>, claims: Record<string, unknown>) => {
    const input = `${encode(header)}.${encode(claims)}`;
    return `${input}.${signature(jwt, input)}`;
  };
  const forRole = (role: Role, overrides: TokenOverrides = {}) =>
    signed(headerFor(overrides.header), claimsFor(role, overrides));
  const hmac = (secret: string, role: Role) => {
    // Keeps the kid, as an attacker copying a real token's header would.
    const input = `${encode(headerFor({ alg: 'HS256' }))}.${encode(claimsFor(role))}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };

  return {
    forRole,
    bearer: (role, overrides) => `Bearer ${forRole(role, overrides)}`,
    expired: (role = 'service') => {
      const past = Math.floor(Date.now() / 1000) - 3600;
      return forRole(role, { claims: { iat: past - jwt.ttl_seconds, exp: past } });
    },
    wrongAudience: (role = 'service') => forRole(role, { claims: { aud: `${jwt.audience}-other` } }),
    wrongIssuer: (role = 'service') => forRole(role, { claims: { iss: `${jwt.issuer}-other` } }),
    algNone: (role = 'admin') => `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claimsFor(role))}.`,
    tampered: (role = 'service') => {
      const [header, , signatureText] = forRole(role).split('.');
      return `${header}.${encode(claimsFor('admin'))}.${signatureText}`;
    },
    wrongSecret: (role = 'service') => hmac('another-secret-that-is-long-enough-0123456789', role),
    hmacSignedWithPublicKey: (public_key_pem, role = 'admin') => hmac(public_key_pem, role),
  };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signature(jwt: JwtOptions, input: string): string {
  if (jwt.algorithm === 'HS256') return createHmac('sha256', jwt.secret).update(input).digest('base64url');
  if (jwt.signing === undefined) throw new Error('createTestTokens needs jwt.signing for RS256/ES256');
  const key = createPrivateKey(jwt.signing.private_key);
  return jwt.algorithm === 'RS256'
    ? sign('sha256', Buffer.from(input), key).toString('base64url')
    : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}
