import { accessScopeFor, type AccessScope } from '@ledgerline/accounts';
import { principalOf, requireAuthenticated, requireRole } from '@ledgerline/auth';
import { ProblemError, type Role } from '@ledgerline/http';
import type { FastifyRequest } from 'fastify';

/** Roles that may create and change customers and accounts; operator and compliance only read. */
export const WRITER_ROLES: readonly Role[] = ['service', 'admin'];

/** Route guard for collection-level writes (`POST /v1/customers`, `POST /v1/accounts`): 401, then 403. */
export const requireWriter = requireRole(...WRITER_ROLES);

/** Route guard for reads: any authenticated caller; what it sees is narrowed by {@link scopeOf}. */
export const requireReader = requireAuthenticated;

/** What the caller may see: everything, or (role customer) only its own customer and accounts. */
export function scopeOf(request: FastifyRequest): AccessScope {
  return accessScopeFor(principalOf(request));
}

/**
 * For writes to one resource: writers go ahead; a caller that may not see the resource gets 404 (no
 * enumeration), one that may see it but not change it gets 403. `lookup` reads the resource in the
 * caller's scope and is only called for non-writers.
 */
export async function requireWriterOf(
  request: FastifyRequest,
  what: 'account' | 'customer',
  lookup: (scope: AccessScope) => Promise<unknown>,
): Promise<void> {
  const principal = principalOf(request);
  if (WRITER_ROLES.includes(principal.role)) return;
  const visible = await lookup(accessScopeFor(principal));
  if (visible === null) throw notFound(what);
  throw new ProblemError('forbidden', `This operation needs one of the roles: ${WRITER_ROLES.join(', ')}.`);
}

export function notFound(what: 'account' | 'customer'): ProblemError {
  return new ProblemError('not_found', `No such ${what}.`);
}
