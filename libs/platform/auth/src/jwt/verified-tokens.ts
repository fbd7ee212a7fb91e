import type { Principal } from '@ledgerline/http';

/**
 * The principals of bearer tokens whose signature and claims were checked, each kept until its
 * token's `exp`. A client sends the same token for its whole life (15 minutes), so a request with a
 * known token costs one map lookup by the header's text instead of decoding the token, hashing it
 * (the JWT library's own cache is keyed by a SHA-256 of the token) and checking it again: together
 * about a tenth of a balance read's CPU.
 *
 * Only tokens that passed verification are kept, so a caller without a signing key cannot fill it.
 * When it is full the oldest entry goes (a bank's API has far fewer live clients than it holds; an
 * evicted client pays one more verification).
 */
export interface VerifiedTokens {
  /** What `token` was verified as, if it was and has not expired; `undefined` otherwise. */
  verifiedAs(token: string): VerifiedToken | undefined;
  /** Keeps what `token` was verified as until `expires_at_ms` (the token's `exp`, in milliseconds). */
  remember(token: string, verified: VerifiedToken, expires_at_ms: number): void;
}

/** A verified token's caller, and its claims as the JWT library decoded them (`request.user`). */
export interface VerifiedToken {
  principal: Principal;
  claims: unknown;
}

export interface VerifiedTokensOptions {
  max_entries: number;
  /** The clock, in milliseconds since the epoch; tests pass their own. */
  now?: () => number;
}

interface Entry {
  verified: VerifiedToken;
  expires_at_ms: number;
}

export function createVerifiedTokens({ max_entries, now = Date.now }: VerifiedTokensOptions): VerifiedTokens {
  // A Map iterates in insertion order, so its first key is the oldest entry.
  const entries = new Map<string, Entry>();
  return {
    verifiedAs(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      if (now() < entry.expires_at_ms) return entry.verified;
      entries.delete(token);
      return undefined;
    },
    remember(token, verified, expires_at_ms) {
      if (!entries.has(token) && entries.size >= max_entries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      // Every later request with this token gets these same objects: none of them may change one.
      Object.freeze(verified.principal);
      Object.freeze(verified.claims);
      entries.set(token, { verified: Object.freeze(verified), expires_at_ms });
    },
  };
}
