import { loadConfig } from '@ledgerline/config';
import { generateTokenSigningKeys } from '@ledgerline/crypto';
import { buildServiceApp, type ServiceApp } from '@ledgerline/http';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin } from '../plugin/auth-plugin';
import { principalOf, requireAuthenticated } from '../plugin/guards';
import { AuthConfigSchema, jwtOptionsFromConfig } from './auth-config';

/** A service configured from environment variables alone, as each app is. */
async function serviceWith(environment: Record<string, string>): Promise<ServiceApp> {
  const app = await buildServiceApp({
    service_name: 'keys-test',
    log_level: 'silent',
    rate_limit: { max: 10_000, time_window_ms: 60_000 },
  });
  await app.register(authPlugin, { jwt: jwtOptionsFromConfig(loadConfig(AuthConfigSchema, environment)) });
  app.get(
    '/v1/me',
    {
      onRequest: [requireAuthenticated],
      schema: { response: { 200: Type.Object({ client_id: Type.String() }) } },
    },
    async (request) => ({
      client_id: principalOf(request).client_id,
    }),
  );
  await app.ready();
  return app;
}

describe('generateTokenSigningKeys', () => {
  const keys = generateTokenSigningKeys('2026-12');
  let issuer: ServiceApp;
  let verifier: ServiceApp;
  beforeAll(async () => {
    issuer = await serviceWith({ ...keys.verifying, ...keys.signing });
    verifier = await serviceWith(keys.verifying);
  });
  afterAll(async () => {
    await Promise.all([issuer.close(), verifier.close()]);
  });

  it('gives the issuer tokens that a service holding only the public half accepts', async () => {
    const { access_token } = issuer.accessTokens.issue({
      client_id: 'bank-1',
      role: 'service',
      customer_id: null,
    });
    expect(JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'ES256',
      kid: '2026-12',
    });
    const response = await verifier.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ client_id: 'bank-1' });
  });

  it('leaves a service holding only the public half unable to mint a token', () => {
    expect(keys.verifying).not.toHaveProperty('JWT_PRIVATE_KEY');
    expect(() =>
      verifier.accessTokens.issue({ client_id: 'x', role: 'admin', customer_id: null }),
    ).toThrowError(/no JWT signing key/);
  });

  it('makes a new pair each time, whose tokens the other pair refuses', async () => {
    const other = generateTokenSigningKeys('2026-12');
    expect(other.signing.JWT_PRIVATE_KEY).not.toBe(keys.signing.JWT_PRIVATE_KEY);
    const stranger = await serviceWith({ ...other.verifying, ...other.signing });
    const { access_token } = stranger.accessTokens.issue({
      client_id: 'mallory',
      role: 'admin',
      customer_id: null,
    });
    await stranger.close();
    const response = await verifier.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(response.statusCode).toBe(401);
  });
});
