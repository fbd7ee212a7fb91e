/** Algorithms Ledgerline accepts; exactly one is configured, and tokens with any other are refused. */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

interface JwtClaimsOptions {
  /** `iss` of issued tokens, and the only `iss` accepted. */
  issuer: string;
  /** `aud` of issued tokens, and the only `aud` accepted. */
  audience: string;
  /** Lifetime of issued tokens (`exp - iat`), also `expires_in` of the token response. */
  ttl_seconds: number;
}

/** HS256: one shared secret of at least 32 bytes signs and verifies. */
export interface HmacJwtOptions extends JwtClaimsOptions {
  algorithm: 'HS256';
  secret: string;
}

/**
 * RS256/ES256: tokens name their key with `kid`; any configured public key verifies, so keys can be
 * rotated. `signing` is present only where tokens are issued.
 */
export interface KeyPairJwtOptions extends JwtClaimsOptions {
  algorithm: 'RS256' | 'ES256';
  /** PEM public keys by kid. */
  public_keys: Readonly<Record<string, string>>;
  signing?: { kid: string; private_key: string };
}

export type JwtOptions = HmacJwtOptions | KeyPairJwtOptions;
