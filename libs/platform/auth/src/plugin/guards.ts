import { ProblemError, type Principal, type Role } from '@ledgerline/http';
import type { FastifyRequest } from 'fastify';

/** A route hook that lets a request through or throws a 401/403 problem. Use as `onRequest` or `preHandler`. */
export type RouteGuard = (request: FastifyRequest) => Promise<void>;

/** Roles each guard admits (`null`: any authenticated caller), so the OpenAPI document can show them. */
const guardRoles = new WeakMap<(...args: never[]) => unknown, readonly Role[] | null>();

export function guardRolesOf(hook: unknown): readonly Role[] | null | undefined {
  return typeof hook === 'function' ? guardRoles.get(hook as (...args: never[]) => unknown) : undefined;
}

const WWW_AUTHENTICATE = 'Bearer realm="ledgerline"';

export function unauthorized(
  detail = 'A valid bearer token is required.',
  invalidToken = false,
): ProblemError {
  return new ProblemError('unauthorized', detail, {
    headers: {
      'www-authenticate': invalidToken ? `${WWW_AUTHENTICATE}, error="invalid_token"` : WWW_AUTHENTICATE,
    },
  });
}

/** The verified caller; throws 401 for anonymous requests. Narrows the type inside handlers. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw unauthorized();
  return request.principal;
}

/** Admits any authenticated caller. */
export const requireAuthenticated: RouteGuard = async (request) => {
  principalOf(request);
};
guardRoles.set(requireAuthenticated, null);

/**
 * Admits callers with one of `roles`: 401 without a token, 403 with another role. Use it for what a
 * role may never do (an operator moving money). Whether the caller may see one particular resource
 * is a different question, answered with {@link canSeeCustomer} and a 404.
 */
export function requireRole(...roles: Role[]): RouteGuard {
  const guard: RouteGuard = async (request) => {
    const principal = principalOf(request);
    if (!roles.includes(principal.role)) {
      throw new ProblemError('forbidden', `This operation needs one of the roles: ${roles.join(', ')}.`);
    }
  };
  guardRoles.set(guard, roles);
  return guard;
}

/**
 * Whether the caller may see data of this customer: a `customer` caller sees only its own customer,
 * every other role sees all. Answer `false` with 404 `not_found`, never 403, so that callers cannot
 * learn which ids exist.
 */
export function canSeeCustomer(principal: Principal, customer_id: string | null): boolean {
  return principal.role !== 'customer' || (customer_id !== null && principal.customer_id === customer_id);
}

/** Throws the 404 `not_found` problem unless {@link canSeeCustomer}. */
export function assertCanSeeCustomer(
  principal: Principal,
  customer_id: string | null,
  detail = 'The resource does not exist.',
): void {
  if (!canSeeCustomer(principal, customer_id)) throw new ProblemError('not_found', detail);
}
