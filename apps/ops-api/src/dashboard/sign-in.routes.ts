import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '@ledgerline/http';
import { requireOperator } from '../access';
import {
  ADMIN_PATH,
  clearSessionCookie,
  principalFromSessionCookie,
  SESSION_COOKIE,
  sessionCookieOptions,
  SIGN_IN_PATH,
} from './session-cookie';
import { SIGN_IN_PAGE_HTML, SIGN_IN_SCRIPT, SIGN_IN_SCRIPT_PATH } from './sign-in.page';

const SESSION_PATH = `${ADMIN_PATH}/session`;

/** Seconds the access token of this request has left (its `exp` claim, checked by the auth plugin). */
function tokenLifetimeSeconds(request: FastifyRequest): number {
  const exp = (request.user as { exp?: unknown } | undefined)?.exp;
  return typeof exp === 'number' ? Math.max(0, Math.floor(exp - Date.now() / 1000)) : 0;
}

/**
 * The operator sign-in for the dashboard: the page and its script, `POST /admin/session` (the bearer
 * token of an operator or admin becomes the session cookie) and `DELETE /admin/session` (sign out).
 * Register inside a scope that has `@fastify/cookie`. None of them is part of the API document.
 */
export async function signInRoutes(app: FastifyInstance): Promise<void> {
  app.get(SIGN_IN_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(SIGN_IN_PAGE_HTML),
  );

  app.get(SIGN_IN_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(SIGN_IN_SCRIPT),
  );

  // The token comes in the Authorization header, so the auth plugin has verified it (401 otherwise) and
  // the guard checked the role (403) before the cookie is set; the audit record names the operator. A
  // cookie alone does not do: signing in takes a token just issued.
  app.post(SESSION_PATH, { onRequest: requireOperator, schema: { hide: true } }, async (request, reply) => {
    const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) throw new ProblemError('unauthorized', 'A bearer token is required.');
    reply.header('cache-control', 'no-store');
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(request, tokenLifetimeSeconds(request)));
    return reply.code(204).send();
  });

  // Anyone may drop their own cookie; with a valid one the audit record names who signed out.
  app.delete(
    SESSION_PATH,
    { onRequest: principalFromSessionCookie, schema: { hide: true } },
    async (request, reply) => {
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );
}
