import { generateKeyPairSync } from 'node:crypto';

/** What a token key id (`kid`) may be: it names the key in `JWT_PUBLIC_KEYS` and in every token's header. */
export const TOKEN_KEY_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
const TOKEN_KEY_ID = new RegExp(TOKEN_KEY_ID_PATTERN);

/** Whether `kid` may name a token key (see {@link TOKEN_KEY_ID_PATTERN}). */
export function isTokenKeyId(kid: string): boolean {
  return TOKEN_KEY_ID.test(kid);
}

/**
 * A fresh ES256 key pair as the `JWT_*` variables of `@ledgerline/auth`'s AuthConfigSchema, split by who may hold
 * them: `verifying` goes to every service that checks tokens, `signing` only to the one that issues them
 * (accounts-api, which hosts `/v1/auth/token`). With HS256 every service holding the shared secret could
 * mint an admin token; with this split a compromised compliance or ops API can verify tokens and no more.
 * PEMs are written on one line with `\n` for their newlines, as the variables allow.
 */
export interface TokenSigningKeys {
  verifying: { JWT_ALGORITHM: 'ES256'; JWT_PUBLIC_KEYS: string };
  signing: { JWT_PRIVATE_KEY: string; JWT_ACTIVE_KID: string };
}

export function generateTokenSigningKeys(kid: string): TokenSigningKeys {
  if (!isTokenKeyId(kid)) throw new RangeError(`a token key id must match ${TOKEN_KEY_ID_PATTERN}`);
  const pair = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    verifying: { JWT_ALGORITHM: 'ES256', JWT_PUBLIC_KEYS: `${kid}=${onOneLine(pair.publicKey)}` },
    signing: { JWT_PRIVATE_KEY: onOneLine(pair.privateKey), JWT_ACTIVE_KID: kid },
  };
}

function onOneLine(pem: string): string {
  return pem.trim().replaceAll('\n', '\\n');
}
