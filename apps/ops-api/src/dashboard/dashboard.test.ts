import type { LightMyRequestResponse } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import type { Role } from '@ledgerline/http';
import { jobs, QUEUE_NAMES } from '@ledgerline/queue';
import { failJobs } from '@ledgerline/queue/testing';
import {
  auditRecordOf,
  call,
  expectProblem,
  OPERATOR_ROLES,
  OTHER_ROLES,
  useOpsTestApp,
} from '../test-support';
import { SESSION_COOKIE } from './session-cookie';

// Behind the gateway, as deployed: the Secure attribute follows X-Forwarded-Proto.
const context = useOpsTestApp({ app_options: { trust_proxy: true } });

const QUEUES_API = '/admin/queues/api/queues?activeQueue=&status=latest&page=1&jobsPerPage=10';

function browse(
  url: string,
  options: { cookie?: string; authorization?: string; method?: 'GET' | 'PUT' | 'DELETE' } = {},
) {
  return context.app.inject({
    method: options.method ?? 'GET',
    url,
    headers: {
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      ...(options.cookie === undefined ? {} : { cookie: `${SESSION_COOKIE}=${options.cookie}` }),
      ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
    },
  });
}

const tokenOf = (role: Role) => context.tokens.forRole(role, { client_id: `client-${role}` });

/** The Set-Cookie header of the session cookie, as attribute name (lower case) -> value. */
function sessionCookieOf(response: LightMyRequestResponse): Record<string, string> | undefined {
  const headers = [response.headers['set-cookie'] ?? []].flat();
  const header = headers.find((value) => value.startsWith(`${SESSION_COOKIE}=`));
  if (header === undefined) return undefined;
  const [pair, ...attributes] = header.split(';').map((part) => part.trim());
  const entries = attributes.map((attribute) => {
    const [name, ...value] = attribute.split('=');
    return [name!.toLowerCase(), value.join('=')] as const;
  });
  return { value: pair!.slice(SESSION_COOKIE.length + 1), ...Object.fromEntries(entries) };
}

function expectDashboardPage(response: LightMyRequestResponse) {
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  expect(response.body).toContain('<base href="/admin/queues/" />');
  expect(response.body).toContain('<title>Ledgerline queues</title>');
}

function expectQueueListing(response: LightMyRequestResponse) {
  expect(response.statusCode, response.body).toBe(200);
  const { queues } = response.json() as { queues: Array<{ name: string }> };
  expect(queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
}

describe('anonymous callers', () => {
  it('are sent to the sign-in page when they open a dashboard page', async () => {
    for (const url of ['/admin/queues', '/admin/queues/', '/admin/queues/queue/ledger']) {
      const response = await browse(url);
      expect(response.statusCode, url).toBe(303);
      expect(response.headers['location']).toBe('/admin/login');
    }
  });

  it("get 401 from the dashboard's JSON API", async () => {
    expectProblem(await browse(QUEUES_API), 401, 'unauthorized');
    expectProblem(
      await browse('/admin/queues/api/queues/ledger/pause', { method: 'PUT' }),
      401,
      'unauthorized',
    );
  });

  it('are sent to sign in again when the session cookie holds an expired, forged or malformed token, which is cleared', async () => {
    for (const token of [
      context.tokens.expired('operator'),
      context.tokens.wrongSecret('operator'),
      context.tokens.algNone('admin'),
      'garbage',
    ]) {
      const page = await browse('/admin/queues', { cookie: token });
      expect(page.statusCode).toBe(303);
      expect(page.headers['location']).toBe('/admin/login');
      expect(sessionCookieOf(page)).toMatchObject({ value: '', path: '/admin' });
      expectProblem(await browse(QUEUES_API, { cookie: token }), 401, 'unauthorized');
    }
  });
});

describe('other roles', () => {
  it('get 403, with a bearer token or with the cookie', async () => {
    for (const role of OTHER_ROLES) {
      expectProblem(
        await browse('/admin/queues', { authorization: `Bearer ${tokenOf(role)}` }),
        403,
        'forbidden',
      );
      expectProblem(await browse(QUEUES_API, { authorization: `Bearer ${tokenOf(role)}` }), 403, 'forbidden');
      expectProblem(await browse('/admin/queues', { cookie: tokenOf(role) }), 403, 'forbidden');
      expectProblem(await browse(QUEUES_API, { cookie: tokenOf(role) }), 403, 'forbidden');
    }
  });
});

describe('operators and admins', () => {
  it('get the dashboard and its queue listing with a bearer token', async () => {
    for (const role of OPERATOR_ROLES) {
      const authorization = `Bearer ${tokenOf(role)}`;
      expectDashboardPage(await browse('/admin/queues', { authorization }));
      expectQueueListing(await browse(QUEUES_API, { authorization }));
    }
  });

  it('get the dashboard, its assets and its queue listing with the session cookie', async () => {
    for (const role of OPERATOR_ROLES) {
      const page = await browse('/admin/queues', { cookie: tokenOf(role) });
      expectDashboardPage(page);
      // Its Content-Security-Policy is the API's: scripts from this origin only.
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      const script = /src="(static\/js\/main\.[0-9a-f]+\.js)"/.exec(page.body)?.[1];
      expect(script).toBeDefined();
      const asset = await browse(`/admin/queues/${script}`, { cookie: tokenOf(role) });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      expectQueueListing(await browse(QUEUES_API, { cookie: tokenOf(role) }));
    }
  });

  it('do not get the static assets without signing in', async () => {
    const page = await browse('/admin/queues', { cookie: tokenOf('operator') });
    const script = /src="(static\/js\/main\.[0-9a-f]+\.js)"/.exec(page.body)![1];
    expect((await browse(`/admin/queues/${script}`)).statusCode).toBe(303);
  });
});

describe('dashboard actions', () => {
  it('pause and resume a queue, each with an audit record naming the operator', async () => {
    const cookie = tokenOf('operator');
    const paused = await browse('/admin/queues/api/queues/ledger/pause', { method: 'PUT', cookie });
    expect(paused.statusCode, paused.body).toBeLessThan(300);
    expect((await call(context, 'GET', '/v1/ops/queues', 'operator')).json()).toContainEqual(
      expect.objectContaining({ name: 'ledger', paused: true }),
    );
    expect(await auditRecordOf(context, String(paused.headers['x-request-id']))).toEqual([
      {
        actor: 'client-operator',
        role: 'operator',
        action: 'PUT /admin/queues/api/queues/:queueName/pause',
        resource: '/admin/queues/api/queues/ledger/pause',
        outcome: paused.statusCode,
      },
    ]);
    const resumed = await browse('/admin/queues/api/queues/ledger/resume', { method: 'PUT', cookie });
    expect(resumed.statusCode).toBeLessThan(300);
    expect((await call(context, 'GET', '/v1/ops/queues', 'operator')).json()).toContainEqual(
      expect.objectContaining({ name: 'ledger', paused: false }),
    );
    expect(await auditRecordOf(context, String(resumed.headers['x-request-id']))).toEqual([
      expect.objectContaining({
        actor: 'client-operator',
        action: 'PUT /admin/queues/api/queues/:queueName/resume',
      }),
    ]);
  });

  it('retry the failed jobs of a queue', async () => {
    await failJobs({
      redis_url: context.redis_url,
      prefix: context.prefix,
      specs: [jobs.screenCustomer(uuidv7(), 'req-dashboard'), jobs.screenCustomer(uuidv7(), 'req-dashboard')],
    });
    const response = await browse('/admin/queues/api/queues/sanctions/retry/failed', {
      method: 'PUT',
      cookie: tokenOf('admin'),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect((await call(context, 'GET', '/v1/ops/queues', 'operator')).json()).toContainEqual(
      expect.objectContaining({ name: 'sanctions', failed: 0, waiting: 2 }),
    );
    expect(await auditRecordOf(context, String(response.headers['x-request-id']))).toEqual([
      expect.objectContaining({
        actor: 'client-admin',
        action: 'PUT /admin/queues/api/queues/:queueName/retry/:queueStatus',
        outcome: 200,
      }),
    ]);
  });

  it('refuse what would lose jobs or bypass the outbox, with 403, changing nothing', async () => {
    await context.producer.add(jobs.runReport(uuidv7(), 'req-dashboard'));
    const cookie = tokenOf('operator');
    for (const url of [
      '/admin/queues/api/queues/reports/empty',
      '/admin/queues/api/queues/reports/clean/waiting',
      '/admin/queues/api/queues/reports/obliterate',
      '/admin/queues/api/queues/reports/retry/completed',
    ]) {
      const response = await browse(url, { method: 'PUT', cookie });
      expectProblem(response, 403, 'forbidden');
      expect(await auditRecordOf(context, String(response.headers['x-request-id']))).toEqual([
        expect.objectContaining({ outcome: 403 }),
      ]);
    }
    const added = await context.app.inject({
      method: 'POST',
      url: '/admin/queues/api/queues/reports/add',
      headers: { cookie: `${SESSION_COOKIE}=${cookie}` },
      payload: { name: 'run-report', data: { report_id: uuidv7() } },
    });
    expectProblem(added, 403, 'forbidden');
    expect((await call(context, 'GET', '/v1/ops/queues', 'operator')).json()).toContainEqual(
      expect.objectContaining({ name: 'reports', waiting: 1 }),
    );
  });
});

describe('sign-in', () => {
  it('serves the sign-in page, whose only script comes from its own URL', async () => {
    const page = await browse('/admin/login');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script src="/admin/login.js" defer></script>');
    expect(page.body.match(/<script/g)).toHaveLength(1);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(/script-src[^;]*unsafe-inline/.test(csp)).toBe(false);
    const script = await browse('/admin/login.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).toContain("fetch('/v1/auth/token'");
  });

  it('turns an operator or admin token into an HttpOnly, SameSite=Strict cookie for /admin, with an audit record', async () => {
    for (const role of OPERATOR_ROLES) {
      const token = tokenOf(role);
      const response = await browse('/admin/session', { method: 'PUT', authorization: `Bearer ${token}` });
      // Only POST signs in.
      expect(response.statusCode).toBe(404);
      const signedIn = await context.app.inject({
        method: 'POST',
        url: '/admin/session',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(signedIn.statusCode).toBe(204);
      expect(signedIn.headers['cache-control']).toBe('no-store');
      const cookie = sessionCookieOf(signedIn);
      expect(cookie).toEqual({
        value: token,
        'max-age': expect.any(String),
        path: '/admin',
        httponly: '',
        samesite: 'Strict',
      });
      expect(Number(cookie!['max-age'])).toBeGreaterThan(890);
      expect(Number(cookie!['max-age'])).toBeLessThanOrEqual(900);
      expect(await auditRecordOf(context, String(signedIn.headers['x-request-id']))).toEqual([
        {
          actor: `client-${role}`,
          role,
          action: 'POST /admin/session',
          resource: '/admin/session',
          outcome: 204,
        },
      ]);
      expectDashboardPage(await browse('/admin/queues', { cookie: cookie!.value }));
    }
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const response = await context.app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: { authorization: `Bearer ${tokenOf('operator')}`, 'x-forwarded-proto': 'https' },
    });
    expect(response.statusCode).toBe(204);
    expect(sessionCookieOf(response)).toMatchObject({
      secure: '',
      httponly: '',
      samesite: 'Strict',
      path: '/admin',
    });
  });

  it('refuses a bad token, another role or no token, setting no cookie', async () => {
    const attempts: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'unauthorized'],
      [{ authorization: `Bearer ${context.tokens.expired('operator')}` }, 401, 'unauthorized'],
      [{ authorization: `Bearer ${context.tokens.tampered('operator')}` }, 401, 'unauthorized'],
      [{ authorization: 'Bearer not-a-jwt' }, 401, 'unauthorized'],
      ...OTHER_ROLES.map((role): [Record<string, string>, number, string] => [
        { authorization: `Bearer ${tokenOf(role)}` },
        403,
        'forbidden',
      ]),
      // A cookie alone does not sign in: that takes a token in the Authorization header.
      [{ cookie: `${SESSION_COOKIE}=${tokenOf('operator')}` }, 401, 'unauthorized'],
    ];
    for (const [headers, status, code] of attempts) {
      const response = await context.app.inject({ method: 'POST', url: '/admin/session', headers });
      expectProblem(response, status, code);
      expect(sessionCookieOf(response)).toBeUndefined();
    }
  });

  it('signs out by clearing the cookie, with an audit record naming who signed out', async () => {
    const response = await browse('/admin/session', { method: 'DELETE', cookie: tokenOf('operator') });
    expect(response.statusCode).toBe(204);
    const cleared = sessionCookieOf(response);
    expect(cleared).toMatchObject({ value: '', path: '/admin', httponly: '', samesite: 'Strict' });
    expect(new Date(cleared!['expires']!).getTime()).toBeLessThan(Date.now());
    expect(await auditRecordOf(context, String(response.headers['x-request-id']))).toEqual([
      {
        actor: 'client-operator',
        role: 'operator',
        action: 'DELETE /admin/session',
        resource: '/admin/session',
        outcome: 204,
      },
    ]);
    // Without a cookie it is harmless.
    expect((await browse('/admin/session', { method: 'DELETE' })).statusCode).toBe(204);
  });
});
