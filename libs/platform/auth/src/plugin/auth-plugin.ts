import fastifyJwt, { type FastifyJWTOptions } from '@fastify/jwt';
import {
  addProblemResponses,
  BEARER_SECURITY_SCHEME,
  brieflyUnavailable,
  type Principal,
} from '@ledgerline/http';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { v7 as uuidv7 } from 'uuid';
import type { DisabledClientCheck } from '../clients/disabled-clients';
import { principalFromClaims } from '../jwt/claims';
import type { JwtOptions } from '../jwt/jwt-options';
import { assertUsableKeys } from '../jwt/key-checks';
import { createVerifiedTokens } from '../jwt/verified-tokens';
import { guardRolesOf, unauthorized } from './guards';

export interface AuthPluginOptions {
  jwt: JwtOptions;
  /**
   * Clients whose tokens are refused although they verify (`watchDisabledClients`: disabled in
   * `api_clients`). None are refused when absent.
   */
  disabled_clients?: DisabledClientCheck;
}

/** The body of a successful `POST /v1/auth/token`. */
export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Issues access tokens; only where `jwt` has a signing key (HS256, or `signing` for RS256/ES256). */
export interface AccessTokenIssuer {
  issue(principal: Principal): AccessToken;
}

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokenIssuer;
  }
  interface FastifyContextConfig {
    /**
     * The route authenticates by other means (client credentials in the body): a bearer token sent
     * with it is ignored, so a client whose HTTP library still attaches an expired one can log in again.
     */
    ignores_bearer_token?: boolean;
  }
}

/** Allowed clock difference between the issuing and the verifying host. */
const CLOCK_TOLERANCE_MS = 5_000;

/** Verified tokens kept per process; a bank's API has far fewer live clients than this. */
const VERIFIED_TOKENS_CACHED = 1_000;

function jwtPluginOptions(options: JwtOptions): FastifyJWTOptions {
  const sign = {
    algorithm: options.algorithm,
    iss: options.issuer,
    aud: options.audience,
    expiresIn: options.ttl_seconds,
  };
  const verify = {
    // Pinned: a token naming any other algorithm (`none`, or HS256 signed with an RSA public key) fails.
    algorithms: [options.algorithm],
    allowedIss: options.issuer,
    allowedAud: options.audience,
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'jti'],
    clockTolerance: CLOCK_TOLERANCE_MS,
    // No cache here: the plugin keeps verified tokens itself (createVerifiedTokens), by the header's text.
  };
  if (options.algorithm === 'HS256') return { secret: options.secret, sign, verify };
  const public_keys = options.public_keys;
  return {
    secret: {
      ...(options.signing === undefined ? {} : { private: options.signing.private_key }),
      // The key is chosen by the token's `kid`, so tokens signed with any configured key verify.
      public: async (_request: FastifyRequest, token: { header?: { kid?: unknown } }) => {
        const kid = token.header?.kid;
        const key = typeof kid === 'string' && Object.hasOwn(public_keys, kid) ? public_keys[kid] : undefined;
        if (key === undefined) throw new Error('unknown key id');
        return key;
      },
    },
    decode: { complete: true },
    sign: { ...sign, ...(options.signing === undefined ? {} : { kid: options.signing.kid }) },
    verify,
  } as FastifyJWTOptions;
}

function canSign(options: JwtOptions): boolean {
  return options.algorithm === 'HS256' || options.signing !== undefined;
}

/**
 * Verifies `Authorization: Bearer <JWT>` on every request and sets `request.principal` (`null` when
 * the header is absent). A header that is present but not a valid token is always a 401, even on
 * routes that allow anonymous callers. Register it before the routes; it also documents 401/403 and
 * the bearer scheme on routes that use the guards.
 */
async function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  assertUsableKeys(options.jwt);
  await app.register(fastifyJwt, jwtPluginOptions(options.jwt));
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);

  app.decorate<AccessTokenIssuer>('accessTokens', {
    issue(principal) {
      if (!canSign(options.jwt)) throw new Error('This service has no JWT signing key configured');
      const access_token = app.jwt.sign({
        sub: principal.client_id,
        role: principal.role,
        ...(principal.customer_id === null ? {} : { customer_id: principal.customer_id }),
        jti: uuidv7(),
      });
      return { access_token, token_type: 'Bearer', expires_in: options.jwt.ttl_seconds };
    },
  });

  app.addHook('onRoute', documentAuth);

  const verified = createVerifiedTokens({ max_entries: VERIFIED_TOKENS_CACHED });
  const disabled = options.disabled_clients;
  // Asked on every request, the cached tokens' too: a token stays verified, its client may not stay enabled.
  const refuseDisabled = (request: FastifyRequest, principal: Principal): void => {
    if (disabled === undefined) return;
    if (!disabled.isKnown()) {
      request.log.warn(
        { client_id: principal.client_id },
        'bearer token not served: disabled clients not read yet',
      );
      throw brieflyUnavailable(
        'The service cannot tell yet whether this client is enabled; nothing was changed. Retry shortly.',
      );
    }
    if (!disabled.has(principal.client_id)) return;
    request.log.info({ client_id: principal.client_id }, 'bearer token rejected: the client is disabled');
    throw unauthorized('The access token belongs to a disabled client.', true);
  };
  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (authorization === undefined || request.routeOptions.config.ignores_bearer_token === true) return;
    const known = verified.verifiedAs(authorization);
    if (known !== undefined) {
      refuseDisabled(request, known.principal);
      // What `jwtVerify` would have set: routes read the claims there (the dashboard's cookie, `exp`).
      request.user = known.claims as typeof request.user;
      setPrincipal(request, known.principal);
      return;
    }
    let claims: unknown;
    try {
      claims = await request.jwtVerify();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      request.log.info({ reason: code }, 'bearer token rejected');
      throw code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED'
        ? unauthorized('The access token has expired.', true)
        : unauthorized('The access token is not valid.', true);
    }
    const principal = principalFromClaims(claims);
    if (principal === null) {
      request.log.info('bearer token rejected: claims are not well-formed');
      throw unauthorized('The access token is not valid.', true);
    }
    // An entry never outlives the token: `exp` is a required claim and was checked just now.
    const { exp } = claims as { exp?: unknown };
    if (typeof exp === 'number') verified.remember(authorization, { principal, claims }, exp * 1_000);
    refuseDisabled(request, principal);
    setPrincipal(request, principal);
  });
}

function setPrincipal(request: FastifyRequest, principal: Principal): void {
  request.principal = principal;
  request.log = request.log.child({ client_id: principal.client_id });
}

/** Adds 401 to every documented route, and the bearer scheme and 403 where a guard is used. */
function documentAuth(routeOptions: RouteOptions): void {
  addProblemResponses(routeOptions, [401]);
  const hooks = [routeOptions.onRequest, routeOptions.preValidation, routeOptions.preHandler].flat();
  const guards = hooks.map(guardRolesOf).filter((roles) => roles !== undefined);
  if (guards.length === 0 || routeOptions.schema === undefined) return;
  routeOptions.schema = {
    ...routeOptions.schema,
    security: [{ [BEARER_SECURITY_SCHEME]: [] }],
  } as typeof routeOptions.schema;
  if (guards.some((roles) => roles !== null)) addProblemResponses(routeOptions, [403]);
}

export const authPlugin = fp(auth, { name: '@ledgerline/auth', fastify: '5.x' });
