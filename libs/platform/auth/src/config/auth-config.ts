import { ConfigError } from '@ledgerline/config';
import { isTokenKeyId, TOKEN_KEY_ID_PATTERN } from '@ledgerline/crypto';
import Type, { type Static } from 'typebox';
import type { JwtOptions } from '../jwt/jwt-options';

/**
 * JWT settings every service reads (all verify tokens; the one hosting `/v1/auth/token` also signs).
 *
 * - `JWT_ALGORITHM`: `HS256` (shared `JWT_SECRET`, at least 32 bytes) or `RS256`/`ES256` (key pairs).
 * - `JWT_PUBLIC_KEYS`: for RS256/ES256, every key a token may be signed with, as a comma-separated
 *   list of `kid=PEM`. A PEM may be written on one line with its newlines as the two characters `\n`:
 *   `2026-01=-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----,2025-12=-----BEGIN ...`.
 *   To rotate: add the new public key, deploy, switch `JWT_ACTIVE_KID` and `JWT_PRIVATE_KEY` on the
 *   issuer, and drop the old key once the tokens it signed have expired (`JWT_TTL_SECONDS`).
 * - `JWT_PRIVATE_KEY` and `JWT_ACTIVE_KID`: the PEM private key of the key pair named by the kid;
 *   only the issuing service sets them. Tokens carry the kid in their header.
 */
export const AuthConfigSchema = Type.Object({
  /** How tokens are signed: `HS256` (a shared secret) or `RS256`/`ES256` (key pairs). */
  JWT_ALGORITHM: Type.Union([Type.Literal('HS256'), Type.Literal('RS256'), Type.Literal('ES256')], {
    default: 'HS256',
  }),
  /** HS256 only: the shared secret, at least 32 bytes. */
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** RS256/ES256, the issuing service only (accounts-api): the PEM private key (newlines may be written `\n`). */
  JWT_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** RS256/ES256: every key a token may be signed with, `kid=PEM,kid=PEM`; keep the old one listed while its tokens live. */
  JWT_PUBLIC_KEYS: Type.Optional(Type.String({ minLength: 1 })),
  /** RS256/ES256, with JWT_PRIVATE_KEY: the key id new tokens carry; it must be in JWT_PUBLIC_KEYS. */
  JWT_ACTIVE_KID: Type.Optional(Type.String({ pattern: TOKEN_KEY_ID_PATTERN })),
  /** The `iss` claim tokens are issued with and must carry. */
  JWT_ISSUER: Type.String({ minLength: 1, default: 'ledgerline' }),
  /** The `aud` claim tokens are issued with and must carry. */
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'ledgerline-api' }),
  /** How long an issued token is valid. */
  JWT_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 900 }),
});
export type AuthConfig = Static<typeof AuthConfigSchema>;

/**
 * Settings of the service that issues tokens: the bootstrap admin client (created on start when both
 * are set and the client does not exist) and the lockout of `/v1/auth/token` after failed attempts.
 */
export const AuthIssuerConfigSchema = Type.Object({
  /** With BOOTSTRAP_ADMIN_CLIENT_SECRET: an admin API client created at start when it does not exist. */
  BOOTSTRAP_ADMIN_CLIENT_ID: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,128}$' })),
  /** The bootstrap admin client's secret, 32 to 256 characters. */
  BOOTSTRAP_ADMIN_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 256 })),
  /**
   * Failed `/v1/auth/token` attempts for one client id from one address within the window before that
   * pair is locked out (per client id *and* address: a stranger cannot lock a client out everywhere).
   */
  AUTH_FAILURES_MAX_PER_CLIENT: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  /** Failed `/v1/auth/token` attempts from one address, whatever the client id, before it is locked out. */
  AUTH_FAILURES_MAX_PER_IP: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  /** The window of the failed-attempt counts, and so the length of a lockout. */
  AUTH_LOCKOUT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 900_000 }),
});
export type AuthIssuerConfig = Static<typeof AuthIssuerConfigSchema>;

/**
 * Turns the `JWT_*` variables into {@link JwtOptions}, enforcing what the schema alone cannot say
 * (which variables each algorithm needs). Throws a one-line `ConfigError`. Key contents are checked
 * when `authPlugin` starts.
 */
export function jwtOptionsFromConfig(config: AuthConfig): JwtOptions {
  const claims = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttl_seconds: config.JWT_TTL_SECONDS,
  };
  if (config.JWT_ALGORITHM === 'HS256') {
    if (config.JWT_SECRET === undefined)
      throw new ConfigError('Invalid configuration: JWT_SECRET must be set when JWT_ALGORITHM is HS256');
    if (config.JWT_PRIVATE_KEY !== undefined || config.JWT_PUBLIC_KEYS !== undefined) {
      throw new ConfigError(
        'Invalid configuration: JWT_PRIVATE_KEY and JWT_PUBLIC_KEYS are for RS256/ES256, not HS256',
      );
    }
    return { algorithm: 'HS256', secret: config.JWT_SECRET, ...claims };
  }
  if (config.JWT_SECRET !== undefined)
    throw new ConfigError(
      `Invalid configuration: JWT_SECRET must not be set when JWT_ALGORITHM is ${config.JWT_ALGORITHM}`,
    );
  if (config.JWT_PUBLIC_KEYS === undefined)
    throw new ConfigError(
      `Invalid configuration: JWT_PUBLIC_KEYS must be set when JWT_ALGORITHM is ${config.JWT_ALGORITHM}`,
    );
  const public_keys = parsePublicKeys(config.JWT_PUBLIC_KEYS);
  if ((config.JWT_PRIVATE_KEY === undefined) !== (config.JWT_ACTIVE_KID === undefined)) {
    throw new ConfigError('Invalid configuration: JWT_PRIVATE_KEY and JWT_ACTIVE_KID must be set together');
  }
  if (config.JWT_ACTIVE_KID !== undefined && public_keys[config.JWT_ACTIVE_KID] === undefined) {
    throw new ConfigError(
      `Invalid configuration: JWT_ACTIVE_KID ${config.JWT_ACTIVE_KID} is not in JWT_PUBLIC_KEYS`,
    );
  }
  return {
    algorithm: config.JWT_ALGORITHM,
    public_keys,
    ...(config.JWT_PRIVATE_KEY === undefined || config.JWT_ACTIVE_KID === undefined
      ? {}
      : { signing: { kid: config.JWT_ACTIVE_KID, private_key: unescapePem(config.JWT_PRIVATE_KEY) } }),
    ...claims,
  };
}

/** Parses `kid=PEM,kid=PEM`; see {@link AuthConfigSchema}. */
export function parsePublicKeys(value: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const entry of value.split(',')) {
    const separator = entry.indexOf('=');
    const kid = entry.slice(0, separator).trim();
    const pem = unescapePem(entry.slice(separator + 1));
    if (separator <= 0 || !isTokenKeyId(kid) || !pem.startsWith('-----BEGIN')) {
      throw new ConfigError(
        'Invalid configuration: JWT_PUBLIC_KEYS must be a comma-separated list of kid=PEM',
      );
    }
    if (keys[kid] !== undefined)
      throw new ConfigError(`Invalid configuration: JWT_PUBLIC_KEYS names kid ${kid} twice`);
    keys[kid] = pem;
  }
  return keys;
}

function unescapePem(value: string): string {
  return value.replaceAll('\\n', '\n').trim();
}
