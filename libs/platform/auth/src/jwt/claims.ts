import { ROLES, type Principal, type Role } from '@ledgerline/http';

/** The claims of a Ledgerline access token (API contract, `Auth`). */
export interface AccessTokenClaims {
  sub: string;
  role: Role;
  /** Present only when `role` is `customer`. */
  customer_id?: string;
  iss: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The caller named by a verified token, or `null` when the claims are not ones Ledgerline issues
 * (unknown role, customer binding missing or present on another role). The signature alone does not
 * make claims well-formed: a token signed before a role was removed must not grant anything.
 */
export function principalFromClaims(claims: unknown): Principal | null {
  if (claims === null || typeof claims !== 'object') return null;
  const { sub, role, customer_id } = claims as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128) return null;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return null;
  if (role === 'customer') {
    if (typeof customer_id !== 'string' || !UUID.test(customer_id)) return null;
    return { client_id: sub, role, customer_id };
  }
  if (customer_id !== undefined && customer_id !== null) return null;
  return { client_id: sub, role: role as Role, customer_id: null };
}
