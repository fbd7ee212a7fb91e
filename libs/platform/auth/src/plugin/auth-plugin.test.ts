import { buildServiceApp, type ServiceApp } from '@ledgerline/http';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisabledClientCheck } from '../clients/disabled-clients';
import type { JwtOptions } from '../jwt/jwt-options';
import { createTestTokens, generateTestKeyPair, TEST_JWT_OPTIONS } from '../testing/index';
import { authPlugin } from './auth-plugin';
import { canSeeCustomer, principalOf, requireAuthenticated, requireRole } from './guards';

const PrincipalSchema = Type.Object({
  client_id: Type.String(),
  role: Type.String(),
  customer_id: Type.Union([Type.String(), Type.Null()]),
});

async function appWith(jwt: JwtOptions, disabled_clients?: DisabledClientCheck): Promise<ServiceApp> {
  const app = await buildServiceApp({
    service_name: 'auth-test',
    log_level: 'silent',
    rate_limit: { max: 10_000, time_window_ms: 60_000 },
  });
  await app.register(authPlugin, { jwt, ...(disabled_clients === undefined ? {} : { disabled_clients }) });
  app.get(
    '/v1/me',
    { onRequest: [requireAuthenticated], schema: { response: { 200: PrincipalSchema } } },
    async (request) => principalOf(request),
  );
  app.post(
    '/v1/money',
    {
      onRequest: [requireRole('service', 'admin')],
      schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } },
    },
    async () => ({ ok: true }),
  );
  const ClaimsSchema = Type.Object({ sub: Type.String(), exp: Type.Number() });
  app.get(
    '/v1/claims',
    { onRequest: [requireAuthenticated], schema: { response: { 200: ClaimsSchema } } },
    async (request) => {
      const { sub, exp } = request.user as { sub: string; exp: number };
      return { sub, exp };
    },
  );
  app.get(
    '/v1/public',
    { schema: { response: { 200: Type.Object({ anonymous: Type.Boolean() }) } } },
    async (request) => ({ anonymous: request.principal === null }),
  );
  await app.ready();
  return app;
}

describe('authPlugin with disabled clients', () => {
  let app: ServiceApp;
  const disabled = new Set<string>();
  let known = true;
  const tokens = createTestTokens(TEST_JWT_OPTIONS);
  const me = (authorization: string) =>
    app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });

  beforeAll(async () => {
    app = await appWith(TEST_JWT_OPTIONS, {
      isKnown: () => known,
      has: (client_id) => disabled.has(client_id),
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("refuses a disabled client's valid token, also one it verified before, and no other client's", async () => {
    const leaked = tokens.bearer('service', { client_id: 'leaked-backend' });
    const fresh = tokens.bearer('service', { client_id: 'leaked-backend' });
    const other = tokens.bearer('service', { client_id: 'other-backend' });
    expect((await me(leaked)).statusCode).toBe(200);

    disabled.add('leaked-backend');
    for (const token of [leaked, fresh]) {
      const response = await me(token);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({
        code: 'unauthorized',
        detail: 'The access token belongs to a disabled client.',
      });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="ledgerline", error="invalid_token"');
    }
    expect((await me(other)).statusCode).toBe(200);
    // Also on routes anonymous callers may use: a token that is sent is a token that is checked.
    expect(
      (await app.inject({ method: 'GET', url: '/v1/public', headers: { authorization: leaked } })).statusCode,
    ).toBe(401);
  });

  it('answers every token with 503 while the disabled clients are not known, and serves them once they are', async () => {
    const seen = tokens.bearer('service', { client_id: 'ops-backend' });
    expect((await me(seen)).statusCode).toBe(200);
    const unseen = tokens.bearer('service', { client_id: 'ops-backend' });
    known = false;
    try {
      // The token verified before (cached) and a new one alike: neither client can be told enabled.
      for (const token of [seen, unseen]) {
        const response = await me(token);
        expect(response.statusCode).toBe(503);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json()).toMatchObject({ code: 'unavailable', status: 503 });
      }
      // Anonymous requests are not held up: there is no client to look up.
      expect((await app.inject({ method: 'GET', url: '/v1/public' })).statusCode).toBe(200);
    } finally {
      known = true;
    }
    expect((await me(unseen)).statusCode).toBe(200);
  });
});

describe('authPlugin with HS256', () => {
  let app: ServiceApp;
  const tokens = createTestTokens(TEST_JWT_OPTIONS);
  const call = (url: string, authorization?: string, method: 'GET' | 'POST' = 'GET') =>
    app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } });

  beforeAll(async () => {
    app = await appWith(TEST_JWT_OPTIONS);
  });
  afterAll(async () => {
    await app.close();
  });

  it('sets the principal from a valid token', async () => {
    const customer_id = '0190a000-0000-7000-8000-000000000001';
    const response = await call('/v1/me', tokens.bearer('customer', { client_id: 'app-1', customer_id }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ client_id: 'app-1', role: 'customer', customer_id });
    const service = await call('/v1/me', tokens.bearer('service', { client_id: 'bank-1' }));
    expect(service.json()).toEqual({ client_id: 'bank-1', role: 'service', customer_id: null });
  });

  it('gives a token sent again the same principal and claims as the first time', async () => {
    const bearer = tokens.bearer('admin', { client_id: 'ops-7' });
    const exp = (JSON.parse(Buffer.from(bearer.split('.')[1]!, 'base64url').toString()) as { exp: number })
      .exp;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await call('/v1/me', bearer)).json()).toEqual({
        client_id: 'ops-7',
        role: 'admin',
        customer_id: null,
      });
      expect((await call('/v1/claims', bearer)).json()).toEqual({ sub: 'ops-7', exp });
    }
  });

  it('answers 401 with WWW-Authenticate when a guarded route has no token', async () => {
    const response = await call('/v1/me');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="ledgerline"');
  });

  it('lets anonymous callers reach open routes', async () => {
    expect((await call('/v1/public')).json()).toEqual({ anonymous: true });
  });

  const badTokens: Array<[string, () => string]> = [
    ['expired', () => tokens.expired()],
    ['wrong audience', () => tokens.wrongAudience()],
    ['wrong issuer', () => tokens.wrongIssuer()],
    ['alg none', () => tokens.algNone()],
    ['tampered payload', () => tokens.tampered()],
    ['another secret', () => tokens.wrongSecret()],
    ['no exp', () => tokens.forRole('service', { claims: { exp: undefined } })],
    ['no jti', () => tokens.forRole('service', { claims: { jti: undefined } })],
    ['no iss', () => tokens.forRole('service', { claims: { iss: undefined } })],
    ['unknown role', () => tokens.forRole('service', { claims: { role: 'superuser' } })],
    [
      'customer without customer_id',
      () => tokens.forRole('customer', { claims: { customer_id: undefined } }),
    ],
    [
      'service with customer_id',
      () => tokens.forRole('service', { claims: { customer_id: '0190a000-0000-7000-8000-000000000001' } }),
    ],
    ['not a JWT', () => 'not-a-jwt'],
  ];

  for (const [name, token] of badTokens) {
    it(`rejects a token with ${name} as 401 unauthorized, even on open routes`, async () => {
      for (const url of ['/v1/me', '/v1/public']) {
        const response = await call(url, `Bearer ${token()}`);
        expect(response.statusCode).toBe(401);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({ code: 'unauthorized' });
        expect(response.headers['www-authenticate']).toContain('invalid_token');
      }
    });
  }

  it('rejects other authorization schemes', async () => {
    expect((await call('/v1/me', 'Basic dXNlcjpwYXNz')).statusCode).toBe(401);
    expect((await call('/v1/me', 'Bearer')).statusCode).toBe(401);
  });

  it('answers 403 forbidden when the role may not do this', async () => {
    for (const role of ['customer', 'operator', 'compliance'] as const) {
      const response = await call('/v1/money', tokens.bearer(role), 'POST');
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    expect((await call('/v1/money', tokens.bearer('service'), 'POST')).statusCode).toBe(200);
    expect((await call('/v1/money', tokens.bearer('admin'), 'POST')).statusCode).toBe(200);
    expect((await call('/v1/money', undefined, 'POST')).statusCode).toBe(401);
  });

  it('issues tokens it accepts, with every contract claim', async () => {
    const { access_token, token_type, expires_in } = app.accessTokens.issue({
      client_id: 'c-1',
      role: 'customer',
      customer_id: '0190a000-0000-7000-8000-000000000002',
    });
    expect(token_type).toBe('Bearer');
    expect(expires_in).toBe(900);
    const [header, payload] = access_token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'HS256' });
    expect(payload).toMatchObject({
      sub: 'c-1',
      role: 'customer',
      customer_id: '0190a000-0000-7000-8000-000000000002',
      iss: 'ledgerline-test',
      aud: 'ledgerline-test-api',
    });
    expect(Number(payload!['exp']) - Number(payload!['iat'])).toBe(900);
    expect(payload!['jti']).toEqual(expect.any(String));
    expect((await call('/v1/me', `Bearer ${access_token}`)).statusCode).toBe(200);
  });

  it('documents the bearer scheme, 401 and 403 in OpenAPI', async () => {
    const document = (await call('/openapi.json')).json() as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    const money = document.paths['/v1/money']!['post']!;
    expect(money.security).toEqual([{ bearer_token: [] }]);
    expect(Object.keys(money.responses)).toEqual(expect.arrayContaining(['200', '401', '403']));
    expect(document.paths['/v1/me']!['get']!.responses['403']).toBeUndefined();
    expect(document.paths['/v1/public']!['get']!.security).toBeUndefined();
  });
});

describe('authPlugin with key pairs', () => {
  const current = generateTestKeyPair('RS256');
  const previous = generateTestKeyPair('RS256');
  const rsa: JwtOptions = {
    algorithm: 'RS256',
    public_keys: { '2026-02': current.public_key, '2026-01': previous.public_key },
    signing: { kid: '2026-02', private_key: current.private_key },
    issuer: 'ledgerline-test',
    audience: 'ledgerline-test-api',
    ttl_seconds: 600,
  };
  let app: ServiceApp;
  beforeAll(async () => {
    app = await appWith(rsa);
  });
  afterAll(async () => {
    await app.close();
  });
  const me = (token: string) =>
    app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

  it('signs with the active kid and verifies it', async () => {
    const { access_token } = app.accessTokens.issue({
      client_id: 'bank-1',
      role: 'service',
      customer_id: null,
    });
    expect(JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'RS256',
      kid: '2026-02',
    });
    expect((await me(access_token)).statusCode).toBe(200);
  });

  it('still accepts tokens signed with a previous configured key', async () => {
    const old = createTestTokens({ ...rsa, signing: { kid: '2026-01', private_key: previous.private_key } });
    expect((await me(old.forRole('service'))).statusCode).toBe(200);
  });

  it('rejects unknown, missing or mismatched kids', async () => {
    const stranger = generateTestKeyPair('RS256');
    const unknown = createTestTokens({
      ...rsa,
      public_keys: { x: stranger.public_key },
      signing: { kid: 'x', private_key: stranger.private_key },
    });
    expect((await me(unknown.forRole('service'))).statusCode).toBe(401);
    const tokens = createTestTokens(rsa);
    expect((await me(tokens.forRole('service', { header: { kid: undefined } }))).statusCode).toBe(401);
    // Right kid, wrong key: the previous key's signature under the current kid.
    const mislabelled = createTestTokens({
      ...rsa,
      signing: { kid: '2026-02', private_key: previous.private_key },
    });
    expect((await me(mislabelled.forRole('service'))).statusCode).toBe(401);
  });

  it('refuses the HS/RS confusion attack and alg none', async () => {
    const tokens = createTestTokens(rsa);
    const confused = tokens.hmacSignedWithPublicKey(current.public_key);
    expect(JSON.parse(Buffer.from(confused.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
      kid: '2026-02',
    });
    expect((await me(confused)).statusCode).toBe(401);
    expect((await me(tokens.algNone())).statusCode).toBe(401);
    expect((await me(tokens.tampered())).statusCode).toBe(401);
    expect((await me(tokens.expired())).statusCode).toBe(401);
  });

  it('works with ES256 too, and in verify-only mode', async () => {
    const ec = generateTestKeyPair('ES256');
    const es: JwtOptions = {
      ...rsa,
      algorithm: 'ES256',
      public_keys: { e1: ec.public_key },
      signing: { kid: 'e1', private_key: ec.private_key },
    };
    const esTokens = createTestTokens(es);
    const verifyOnly = await appWith({ ...es, signing: undefined });
    expect(
      (
        await verifyOnly.inject({
          method: 'GET',
          url: '/v1/me',
          headers: { authorization: esTokens.bearer('admin') },
        })
      ).statusCode,
    ).toBe(200);
    expect(() =>
      verifyOnly.accessTokens.issue({ client_id: 'x', role: 'admin', customer_id: null }),
    ).toThrowError(/no JWT signing key/);
    expect(
      (
        await verifyOnly.inject({
          method: 'GET',
          url: '/v1/me',
          headers: { authorization: createTestTokens(rsa).bearer('admin') },
        })
      ).statusCode,
    ).toBe(401);
    await verifyOnly.close();
  });

  it('refuses to start with keys that do not fit', async () => {
    const ec = generateTestKeyPair('ES256');
    await expect(
      appWith({ ...rsa, public_keys: { a: ec.public_key }, signing: undefined }),
    ).rejects.toThrowError(/must be an RSA key/);
    await expect(
      appWith({ ...rsa, signing: { kid: '2026-02', private_key: previous.private_key } }),
    ).rejects.toThrowError(/does not match/);
    await expect(
      appWith({ algorithm: 'HS256', secret: 'short', issuer: 'i', audience: 'a', ttl_seconds: 60 }),
    ).rejects.toThrowError(/at least 32 bytes/);
  });
});

describe('canSeeCustomer', () => {
  it('limits customers to their own customer and lets other roles see all', () => {
    const mine = '0190a000-0000-7000-8000-000000000001';
    expect(canSeeCustomer({ client_id: 'c', role: 'customer', customer_id: mine }, mine)).toBe(true);
    expect(
      canSeeCustomer(
        { client_id: 'c', role: 'customer', customer_id: mine },
        '0190a000-0000-7000-8000-000000000002',
      ),
    ).toBe(false);
    expect(canSeeCustomer({ client_id: 'c', role: 'customer', customer_id: mine }, null)).toBe(false);
    expect(canSeeCustomer({ client_id: 's', role: 'operator', customer_id: null }, mine)).toBe(true);
  });
});
