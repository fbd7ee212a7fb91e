import type { CookieSerializeOptions } from '@fastify/cookie';
import type { VerifyOptions } from '@fastify/jwt';
import { principalFromClaims } from '@ledgerline/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Where the sign-in page, the session endpoint and the dashboard live; the only path the cookie is sent to. */
export const ADMIN_PATH = '/admin';
export const SIGN_IN_PATH = `${ADMIN_PATH}/login`;
export const DASHBOARD_PATH = `${ADMIN_PATH}/queues`;

/** The cookie that carries a signed-in operator's access token to the dashboard. */
export const SESSION_COOKIE = 'ledgerline_ops_session';

/**
 * A browser cannot send a bearer header when it loads a page, so the dashboard also reads the access
 * token from this cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page makes
 * the browser send it, which is what protects the dashboard's mutations from cross-site requests),
 * Path=/admin (the API never sees it), Secure when the request came over https. It lives as long as
 * the token, which is verified on every request like a bearer token.
 */
export function sessionCookieOptions(
  request: FastifyRequest,
  max_age_seconds: number,
): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: ADMIN_PATH,
    secure: request.protocol === 'https',
    maxAge: max_age_seconds,
  };
}

/** The same attributes with no lifetime left: the browser drops the cookie. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: ADMIN_PATH,
    secure: request.protocol === 'https',
  });
}

/**
 * `onRequest` hook of the dashboard's routes: a request without a bearer header but with the session
 * cookie gets its principal from the cookie's token. The token is verified exactly as the auth plugin
 * verifies a bearer token (same keys, pinned algorithm, issuer, audience, required claims and claim
 * checks); only where it is read from differs. A token that does not verify leaves the request
 * anonymous (the guard then redirects or answers 401) and the cookie is cleared, so a browser with an
 * expired session is sent to sign in again instead of failing on every request.
 */
export async function principalFromSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (request.principal !== null || request.headers.authorization !== undefined) return;
  const token = request.cookies[SESSION_COOKIE];
  if (token === undefined || token === '') return;
  // With options of its own, @fastify/jwt builds a verifier for this call alone: a cache would be filled once and dropped.
  const options: Partial<VerifyOptions> & { extractToken: () => string } = {
    extractToken: () => token,
    cache: false,
  };
  try {
    const principal = principalFromClaims(await request.jwtVerify(options));
    if (principal === null)
      throw Object.assign(new Error('claims are not well-formed'), { code: 'claims_not_well_formed' });
    request.principal = principal;
    request.log = request.log.child({ client_id: principal.client_id });
  } catch (error) {
    request.log.info({ reason: (error as { code?: unknown }).code }, 'session cookie rejected');
    clearSessionCookie(request, reply);
  }
}
