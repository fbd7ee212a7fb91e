/** The roles of the API contract (`Auth` section). */
export const ROLES = ['customer', 'service', 'operator', 'compliance', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/**
 * Who is calling, once a bearer token has been verified. The http layer owns the shape (not only the
 * auth library) because rate limiting, logs and the audit trail all key on it; `@ledgerline/auth`
 * fills it in.
 */
export interface Principal {
  client_id: string;
  role: Role;
  /** Set only for the `customer` role: the one customer whose data the caller may see. */
  customer_id: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or `null` for an anonymous request. */
    principal: Principal | null;
  }
}
