import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemError, problemResponses } from '@ledgerline/http';
import Type from 'typebox';
import type { ApiClientService } from '../clients/api-client-service';
import { unauthorized } from '../plugin/guards';
import type { LoginThrottle } from './login-throttle';

export const TokenRequestSchema = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 128 }),
    client_secret: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const TokenResponseSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the token expires.' }),
});

export interface TokenRouteOptions {
  clients: ApiClientService;
  throttle: LoginThrottle;
}

/** `POST /v1/auth/token`: client credentials for a bearer token. */
export const tokenRoute: FastifyPluginAsyncTypebox<TokenRouteOptions> = async (
  app,
  { clients, throttle },
) => {
  app.post(
    '/v1/auth/token',
    {
      config: { ignores_bearer_token: true },
      schema: {
        tags: ['auth'],
        summary: 'Exchange client credentials for an access token',
        body: TokenRequestSchema,
        response: { 200: TokenResponseSchema, ...problemResponses(401, 429) },
      },
    },
    async (request, reply) => {
      const { client_id, client_secret } = request.body;
      // Tokens and secrets must not be kept by caches on the way.
      reply.header('cache-control', 'no-store');
      const decision = await throttle.begin(client_id, request.ip);
      if (!decision.allowed) {
        request.log.warn(
          { attempted_client_id: client_id },
          'token request refused: too many failed attempts',
        );
        throw new ProblemError('rate_limited', 'Too many failed attempts; try again later.', {
          headers: { 'retry-after': String(decision.retry_after_seconds) },
        });
      }
      const principal = await clients.authenticate(client_id, client_secret);
      if (principal === null) {
        request.log.info({ attempted_client_id: client_id }, 'token request refused: bad credentials');
        throw unauthorized('The client id or secret is not valid.');
      }
      await throttle.succeeded(client_id, request.ip);
      return app.accessTokens.issue(principal);
    },
  );
};
