/**
 * Who is asking, reduced to what the accounts services need to filter by. Every read and change
 * takes a scope, so a query for a customer principal cannot forget the `customer_id` filter.
 * - `all`: service, admin, operator and compliance principals see every customer and account.
 * - `customer`: a customer principal sees only its own customer record and accounts.
 * - `none`: fails closed (a customer principal without a customer id sees nothing).
 */
export type AccessScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'customer'; readonly customer_id: string }
  | { readonly kind: 'none' };

export const ALL_ACCESS: AccessScope = Object.freeze({ kind: 'all' });

/** The fields of an authenticated principal that decide what it may see. */
export interface ScopedPrincipal {
  readonly role: string;
  readonly customer_id?: string | null | undefined;
}

export function accessScopeFor(principal: ScopedPrincipal): AccessScope {
  if (principal.role !== 'customer') return ALL_ACCESS;
  if (typeof principal.customer_id === 'string' && principal.customer_id.length > 0) {
    return { kind: 'customer', customer_id: principal.customer_id };
  }
  return { kind: 'none' };
}

/** Whether a record owned by `customer_id` (null for settlement accounts) is visible in `scope`. */
export function scopeAllows(scope: AccessScope, customer_id: string | null): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'customer':
      return customer_id !== null && customer_id === scope.customer_id;
    case 'none':
      return false;
  }
}
