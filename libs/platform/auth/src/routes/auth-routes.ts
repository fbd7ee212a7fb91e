import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import type { ApiClientService } from '../clients/api-client-service';
import { clientsRoute } from './clients-route';
import { createLoginThrottle } from './login-throttle';
import { tokenRoute } from './token-route';

export interface AuthRoutesOptions {
  clients: ApiClientService;
  /** Holds the failed-attempt counters of `/v1/auth/token`. */
  redis: Redis;
  /** Prefix of those Redis keys (the deployment's `QUEUE_PREFIX`; unique per test file). */
  key_prefix: string;
  login_throttle: {
    failures_max_per_client: number;
    failures_max_per_ip: number;
    window_ms: number;
  };
}

/**
 * `POST /v1/auth/token` and `POST /v1/clients`. Register after {@link authPlugin} (which signs the
 * tokens and sets the principal the admin check reads), in the service that issues tokens.
 */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, options) => {
  if (!app.hasDecorator('accessTokens'))
    throw new Error('authRoutes needs authPlugin to be registered first');
  const throttle = createLoginThrottle({
    redis: options.redis,
    key_prefix: options.key_prefix,
    ...options.login_throttle,
  });
  await app.register(tokenRoute, { clients: options.clients, throttle });
  await app.register(clientsRoute, { clients: options.clients });
};
