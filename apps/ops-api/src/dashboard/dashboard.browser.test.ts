import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRoutes, createApiClientService } from '@ledgerline/auth';
import type { Role } from '@ledgerline/http';
import { QUEUE_NAMES } from '@ledgerline/queue';
import { useOpsTestApp } from '../test-support';

/**
 * A real browser (Debian's chromium; `.ci/run` installs it) signs in on the page and uses the
 * dashboard, so what helmet's CSP, the cookie attributes and bull-board's scripts do together is what
 * an operator would get.
 *
 * The page calls `POST /v1/auth/token` on its own origin. In a deployment the gateway sends that path to
 * accounts-api, which serves it with `authRoutes` from `@ledgerline/auth`; here the same routes are
 * registered on the ops app itself, on the same test database and Redis, so that one listening server
 * is one origin for the page without a proxy in between. Everything else the page talks to is the ops
 * app as built for production.
 */
const context = useOpsTestApp({
  start: async (context) => {
    await context.app.register(authRoutes, {
      clients: createApiClientService({ db: context.database.db }),
      redis: context.redis,
      key_prefix: context.prefix,
      login_throttle: { failures_max_per_client: 5, failures_max_per_ip: 50, window_ms: 60_000 },
    });
    await context.app.listen({ host: '127.0.0.1', port: 0 });
  },
});

let browser: Browser;
let origin: string;

beforeAll(async () => {
  origin = `http://127.0.0.1:${(context.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function createClient(role: Role): Promise<{ client_id: string; client_secret: string }> {
  const created = await createApiClientService({ db: context.database.db }).create({
    name: `${role} on duty`,
    role,
    customer_id: null,
  });
  if (!created.ok) throw new Error(`could not create a ${role} client: ${created.error}`);
  return created.client;
}

/** A page that reaches only the app (bull-board's page links a web font elsewhere) and records CSP violations. */
async function openPage(): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  await page.route('**/*', (route) =>
    route.request().url().startsWith(origin) ? route.continue() : route.abort(),
  );
  return { page, violations };
}

async function signIn(page: Page, credentials: { client_id: string; client_secret: string }): Promise<void> {
  await page.goto(`${origin}/admin/queues`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.fill('#client_id', credentials.client_id);
  await page.fill('#client_secret', credentials.client_secret);
  await page.click('#submit');
}

describe('the dashboard in a browser', () => {
  it('lets an operator sign in on the page and see every queue of the platform', async () => {
    const { page, violations } = await openPage();
    await signIn(page, await createClient('operator'));
    await page.waitForURL(`${origin}/admin/queues`, { timeout: 15_000 });
    for (const name of QUEUE_NAMES) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    // The session is an HttpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
    const [cookie] = await page.context().cookies(`${origin}/admin/queues`);
    expect(cookie).toMatchObject({
      name: 'ledgerline_ops_session',
      path: '/admin',
      httpOnly: true,
      sameSite: 'Strict',
      secure: false,
    });
    expect(violations).toEqual([]);

    // Signing out on the page ends the session: the dashboard sends the browser back to sign in.
    await page.goto(`${origin}/admin/login`);
    await page.click('#sign-out');
    await page.getByText('Signed out.').waitFor();
    await page.goto(`${origin}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.close();
  }, 60_000);

  it('tells a client with a wrong secret, or of another role, why it cannot sign in', async () => {
    const { page, violations } = await openPage();
    const operator = await createClient('operator');
    await signIn(page, { ...operator, client_secret: `${operator.client_secret}-wrong` });
    await page.getByText('The client id or secret is not valid.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/login');

    await signIn(page, await createClient('compliance'));
    await page.getByText('This operation needs one of the roles: operator, admin.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(await page.context().cookies(`${origin}/admin/queues`)).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);
});
