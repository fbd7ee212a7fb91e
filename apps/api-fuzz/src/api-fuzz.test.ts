/**
 * The bad-input campaign: generated and mutated requests to every route the services document in
 * their OpenAPI, against a small seeded bank. Every answer must be a contract answer (never a 5xx; a
 * non-2xx is an RFC 9457 problem with a contract code; nothing leaks), and a refused request must leave
 * the database exactly as it was.
 *
 * How "refused requests change nothing" is checked: the ledger state (row counts of journal entries,
 * transfers, outbox, idempotency keys, batches, customers, accounts, API clients; the sums of every
 * balance column; digests of account and transfer statuses) is read after every request. A non-2xx
 * answer must leave all of it as it was before that request; a 2xx may add rows (a mutated request can
 * still be valid), but no request may ever touch journal entries or balances, since only the posting
 * engine does (and no worker runs here). Comparing per request rather than only at the end means a
 * refused request cannot hide behind an accepted one. At the end the whole ledger is checked with
 * `checkInvariants`.
 *
 * The seed is fixed, so a run is reproducible; change FUZZ_SEED to explore further.
 */
import type { HTTPMethods } from 'fastify';
import fc from 'fast-check';
import { checkInvariants } from '@ledgerline/ledger';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moneyOf, readLedgerState, type LedgerState } from './harness/ledger-state';
import { knownBugFor } from './harness/known-bugs';
import { contractViolations, describeExchange, type Answer } from './harness/oracle';
import { startFuzzPlatform, type FuzzPlatform } from './harness/platform';
import {
  badTokens,
  exampleOf,
  requestArbitrary,
  TOKEN_KINDS,
  toJsonText,
  tokenFor,
  type FuzzContext,
  type FuzzRequest,
} from './harness/requests';
import { documentedRoutes, type Route } from './harness/routes';
import { seedBank, type CustomerName, type SeededBank } from './harness/seed';

const FUZZ_SEED = 20_261_128;
/** Runs per property: 250 generated requests in all, some seconds on a loaded 2-core machine. */
const RUNS = { near_valid: 150, hostile: 100 } as const;
const FC_OPTIONS = { seed: FUZZ_SEED, verbose: fc.VerbosityLevel.Verbose } as const;

let platform: FuzzPlatform;
let bank: SeededBank;
let routes: Route[];
let context: FuzzContext;
let initial: LedgerState;
/** The state after the last request; nothing else writes to this database. */
let current: LedgerState;
const requestsPerRoute = new Map<string, number>();

beforeAll(async () => {
  platform = await startFuzzPlatform();
  bank = await seedBank(platform);
  routes = await documentedRoutes(platform);
  context = { routes, bank, tokens: platform.tokens };
  initial = await readLedgerState(platform.database.pool);
  current = initial;
});

afterAll(async () => {
  await platform?.close();
});

/** Ids a customer's token may find in a successful answer: its own, its counterparties', the settlement account. */
function visibleTo(customer: CustomerName | 'stranger'): Set<string> {
  const visible = new Set<string>([bank.accounts.usd_settlement]);
  if (customer === 'stranger') return visible;
  for (const id of bank.owned_by[customer]) visible.add(id);
  if (customer === 'alice') visible.add(bank.accounts.bob_usd);
  if (customer === 'bob') visible.add(bank.accounts.alice_usd);
  return visible;
}

/** Routes no customer may use at all (compliance officers', operators'), answered 403 for the role. */
const CUSTOMER_FORBIDDEN_PREFIXES = ['/v1/compliance/', '/v1/ops/'];

/** Every id some customer owns (their customers, accounts and transfers). */
function customerResources(): Set<string> {
  return new Set(Object.values(bank.owned_by).flatMap((ids) => [...ids]));
}

function seededIds(): string[] {
  return [
    ...Object.values(bank.customers),
    ...Object.values(bank.accounts),
    ...Object.values(bank.transfers),
    ...Object.values(bank.compliance),
    ...bank.owned_by.alice,
    ...bank.owned_by.carol,
  ];
}

interface ExchangeOptions {
  /** Excuse complaints matching a reported bug (harness/known-bugs.ts); changes to the database never are. */
  tolerate_known_bugs?: boolean;
  /**
   * `per-request` (default) reads the ledger state after the request and compares it with the state before.
   * `deferred` skips that: for sweeps whose requests must all be refused, which compare once around the sweep.
   */
  state?: 'per-request' | 'deferred';
}

/** Sends one request and returns everything wrong with its answer and its effect on the ledger. */
async function exchange(
  request: FuzzRequest,
  options: ExchangeOptions = {},
): Promise<{ response: Answer; violations: string[] }> {
  const injected = await platform.apps[request.service].inject({
    method: request.method as HTTPMethods,
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
  const response: Answer = {
    statusCode: injected.statusCode,
    headers: injected.headers,
    body: injected.body,
  };
  requestsPerRoute.set(request.route.label, (requestsPerRoute.get(request.route.label) ?? 0) + 1);

  const tolerate = options.tolerate_known_bugs ?? true;
  const violations = contractViolations(request, response).filter(
    (violation) => !tolerate || knownBugFor(request, response, violation) === undefined,
  );
  const accepted = response.statusCode >= 200 && response.statusCode < 300;
  if (accepted && request.refusal_expected !== undefined) {
    violations.push(`accepted with ${response.statusCode}, but ${request.refusal_expected}`);
  }
  if (options.state !== 'deferred') {
    const before = current;
    const after = await readLedgerState(platform.database.pool);
    current = after;
    if (!accepted && JSON.stringify(before) !== JSON.stringify(after)) {
      violations.push(`a refused request changed the database: ${JSON.stringify(diff(before, after))}`);
    }
    if (JSON.stringify(moneyOf(before)) !== JSON.stringify(moneyOf(after))) {
      violations.push(
        `journal entries or balances changed without the posting engine: ${JSON.stringify(diff(before, after))}`,
      );
    }
  }
  const caller = request.caller;
  if (caller?.role === 'customer') {
    const visible = visibleTo(caller.customer);
    if (accepted) {
      const leaked = seededIds().filter((id) => !visible.has(id) && response.body.includes(id));
      if (leaked.length > 0)
        violations.push(
          `customer ${caller.customer} was shown ids of other customers: ${[...new Set(leaked)].join(', ')}`,
        );
    }
    const owned = caller.customer === 'stranger' ? new Set<string>() : bank.owned_by[caller.customer];
    // Only customers' resources can be another customer's (queue names, job ids, cases and reports
    // belong to no customer), and only on routes a customer may use: the compliance and ops routes
    // refuse the role with 403 whatever they name.
    const foreign = request.path_ids.filter(
      (id) => customerResources().has(id) && !owned.has(id) && id !== bank.accounts.usd_settlement,
    );
    const forRole = CUSTOMER_FORBIDDEN_PREFIXES.some((prefix) => request.route.template.startsWith(prefix));
    if (foreign.length > 0 && (accepted || (response.statusCode === 403 && !forRole))) {
      violations.push(
        `customer ${caller.customer} got ${response.statusCode} for another customer's ${foreign.join(', ')} (must be 404: no enumeration)`,
      );
    }
  }
  return { response, violations };
}

/** Runs {@link exchange} and fails with the whole exchange when anything is wrong. */
async function expectContractAnswer(request: FuzzRequest, options: ExchangeOptions = {}): Promise<Answer> {
  const { response, violations } = await exchange(request, options);
  if (violations.length > 0)
    throw new Error(`${violations.join('\n')}\n${describeExchange(request, response)}`);
  return response;
}

/**
 * Sends requests that must all be refused, checking each answer, and the ledger state once around
 * the whole sweep: a sound shortcut, since no request of it may change anything.
 */
async function expectAllRefused(
  requests: Array<{ request: FuzzRequest; status: number; code?: string }>,
): Promise<void> {
  const before = await readLedgerState(platform.database.pool);
  for (const { request, status, code } of requests) {
    const response = await expectContractAnswer(request, { state: 'deferred' });
    const answered = [
      response.statusCode,
      code === undefined ? undefined : (JSON.parse(response.body) as { code?: string }).code,
    ];
    expect(answered, request.label).toEqual([status, code]);
  }
  const after = await readLedgerState(platform.database.pool);
  expect(diff(before, after), 'refused requests changed the database').toEqual({});
  current = after;
}

function diff(before: LedgerState, after: LedgerState): Record<string, [unknown, unknown]> {
  const changed: Record<string, [unknown, unknown]> = {};
  for (const key of Object.keys(before) as Array<keyof LedgerState>) {
    if (before[key] !== after[key]) changed[key] = [before[key], after[key]];
  }
  return changed;
}

/** A request to `route` with a valid body and path, changed only where `overrides` says. */
function plainRequest(
  route: Route,
  overrides: { authorization?: string; key?: string | null; payload?: string; label: string },
): FuzzRequest {
  let url = route.template;
  for (const parameter of route.path)
    url = url.replace(`{${parameter.name}}`, routeResourceId(route, parameter.name));
  const headers: Record<string, string> = {};
  if (overrides.authorization !== undefined) headers['authorization'] = overrides.authorization;
  if (route.takes_idempotency_key && overrides.key !== null)
    headers['idempotency-key'] = overrides.key ?? randomUUID();
  const payload =
    overrides.payload ?? (route.body === undefined ? undefined : toJsonText(exampleOf(route.body, '', bank)));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return {
    route,
    service: route.service,
    method: route.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
    label: `${route.label} | ${overrides.label}`,
    caller: null,
    path_ids: [],
  };
}

function routeResourceId(route: Route, parameter: string): string {
  if (route.template.startsWith('/v1/customers')) return bank.customers.alice;
  if (route.template.startsWith('/v1/transfers'))
    return route.template.endsWith('/capture') || route.template.endsWith('/void')
      ? bank.transfers.pending_hold
      : bank.transfers.posted;
  if (route.template.startsWith('/v1/compliance/cases')) return bank.compliance.open_case;
  if (route.template.startsWith('/v1/compliance/reports')) return bank.compliance.queued_report;
  if (route.template.startsWith('/v1/ops/queues')) return parameter === 'name' ? 'ledger' : bank.failed_job;
  return bank.accounts.alice_usd;
}

describe('bad input to every documented route', () => {
  it('finds every route of every service in their OpenAPI documents', () => {
    const labels = routes.map((route) => `${route.service} ${route.label}`);
    // The contract's routes as of this suite; new ones are fuzzed automatically, these must not vanish.
    for (const expected of [
      'accounts POST /v1/auth/token',
      'accounts POST /v1/clients',
      'accounts POST /v1/customers',
      'accounts GET /v1/customers/{id}',
      'accounts POST /v1/accounts',
      'accounts GET /v1/accounts',
      'accounts GET /v1/accounts/{id}',
      'accounts POST /v1/accounts/{id}/freeze',
      'accounts POST /v1/accounts/{id}/unfreeze',
      'accounts POST /v1/accounts/{id}/close',
      'accounts GET /v1/accounts/{id}/balance',
      'accounts GET /v1/accounts/{id}/entries',
      'transactions POST /v1/transfers',
      'transactions GET /v1/transfers',
      'transactions GET /v1/transfers/{id}',
      'transactions POST /v1/deposits',
      'transactions POST /v1/withdrawals',
      'transactions POST /v1/transfers/batch',
      'transactions POST /v1/transfers/{id}/capture',
      'transactions POST /v1/transfers/{id}/void',
      'transactions POST /v1/transfers/{id}/reverse',
      'compliance GET /v1/compliance/cases',
      'compliance POST /v1/compliance/cases/{id}/decision',
      'compliance POST /v1/compliance/sanctions-lists',
      'compliance POST /v1/compliance/reports',
      'compliance GET /v1/compliance/reports/{id}',
      'compliance GET /v1/compliance/reports/{id}/download',
      'ops GET /v1/ops/queues',
      'ops POST /v1/ops/queues/{name}/pause',
      'ops POST /v1/ops/queues/{name}/resume',
      'ops POST /v1/ops/queues/{name}/retry-failed',
      'ops POST /v1/ops/queues/{name}/jobs/{id}/retry',
    ]) {
      expect(labels).toContain(expected);
    }
  });

  it('answers near-valid requests (one or a few changes to a valid one) with contract answers, and refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(context, 'near-valid'), async (request) => {
        await expectContractAnswer(request);
      }),
      { ...FC_OPTIONS, numRuns: RUNS.near_valid },
    );
  }, 60_000);

  it('answers hostile requests (many changes at once: tokens, keys, content types, methods, raw bodies) the same way', async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(context, 'hostile'), async (request) => {
        await expectContractAnswer(request);
      }),
      { ...FC_OPTIONS, numRuns: RUNS.hostile },
    );
  }, 60_000);

  it('refuses every kind of bad token with 401, on routes of both services, before anything else', async () => {
    const tokens = badTokens(platform.tokens);
    // Authentication is one hook for every route, so each kind is tried on every third route (both
    // services, reads and writes) rather than on all of them: a third of the requests, the same coverage.
    await expectAllRefused(
      routes.flatMap((route, routeIndex) =>
        TOKEN_KINDS.filter((_, kindIndex) => (routeIndex + kindIndex) % 3 === 0).map((kind) => ({
          request: plainRequest(route, {
            authorization: `Bearer ${tokens[kind]()}`,
            label: `bad token (${kind})`,
          }),
          status: 401,
          code: 'unauthorized',
        })),
      ),
    );
  }, 60_000);

  it('refuses money-moving commands without a usable Idempotency-Key, whatever the body', async () => {
    const service = tokenFor(platform.tokens, { role: 'service' });
    const commands = routes.filter((route) => route.takes_idempotency_key);
    expect(commands.length).toBeGreaterThan(0);
    await expectAllRefused(
      commands.flatMap((route) => [
        {
          request: plainRequest(route, { authorization: service, key: null, label: 'no Idempotency-Key' }),
          status: 400,
          code: 'idempotency_key_required',
        },
        ...['', 'k'.repeat(256), 'bad\u007fkey', 'ключ'].map((key) => ({
          request: plainRequest(route, {
            authorization: service,
            key: Buffer.from(key).toString('latin1'),
            label: `Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`,
          }),
          status: 400,
        })),
        // The seeded deposit's key, reused by the same client for another request.
        {
          request: plainRequest(route, {
            authorization: service,
            key: bank.used_idempotency_key,
            label: 'a used Idempotency-Key',
          }),
          status: 422,
          code: 'idempotency_key_reused',
        },
      ]),
    );
  }, 60_000);

  it('exercised every documented route', () => {
    const missed = routes
      .filter((route) => (requestsPerRoute.get(route.label) ?? 0) === 0)
      .map((route) => route.label);
    expect(missed).toEqual([]);
  });

  it('leaves the ledger as it was: no journal entries written, balances unchanged, invariants clean', async () => {
    const final = await readLedgerState(platform.database.pool);
    expect(moneyOf(final)).toEqual(moneyOf(initial));
    const report = await checkInvariants(platform.database.db);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

/** Requests exactly as a client would send them, for the pinned bug reproductions below. */
interface Repro {
  service: 'accounts' | 'transactions';
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  /** Default `admin`; `none` sends no Authorization header. */
  as?: 'admin' | 'none';
}

/** What is wrong with each repro's answer, without the known-bug tolerance; empty when all conform. */
async function reproFailures(repros: Repro[]): Promise<string[]> {
  const failures: string[] = [];
  for (const repro of repros) {
    const path = repro.url.split('?')[0] ?? repro.url;
    const route = routes.find(
      (candidate) =>
        candidate.service === repro.service &&
        candidate.method === repro.method &&
        new RegExp(`^${candidate.template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
    );
    if (route === undefined) throw new Error(`no documented route for ${repro.method} ${path}`);
    const headers: Record<string, string> = {};
    if (repro.as !== 'none')
      headers['authorization'] = tokenFor(platform.tokens, { role: repro.as ?? 'admin' });
    if (route.takes_idempotency_key) headers['idempotency-key'] = randomUUID();
    if (repro.body !== undefined) headers['content-type'] = 'application/json';
    const request: FuzzRequest = {
      route,
      service: repro.service,
      method: repro.method,
      url: repro.url,
      headers,
      ...(repro.body === undefined ? {} : { payload: repro.body }),
      label: 'pinned reproduction',
      caller: null,
      path_ids: [],
    };
    const { response, violations } = await exchange(request, { tolerate_known_bugs: false });
    if (violations.length > 0) {
      failures.push(
        `${repro.method} ${repro.url} ${repro.body === undefined ? '' : repro.body.slice(0, 160)} -> ${response.statusCode} ${response.body.slice(0, 160)}: ${violations.join('; ')}`,
      );
    }
  }
  return failures;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('regressions: bugs the campaign found, now fixed', () => {
  const transfer = (extra: Record<string, unknown>) =>
    JSON.stringify({
      source_account_id: bank.accounts.alice_usd,
      destination_account_id: bank.accounts.bob_usd,
      amount: '1.00',
      currency: 'USD',
      ...extra,
    });

  it('regression: a NUL character in a text field is a 400, not a 500 (transfers, deposits, withdrawals, batches, reversals, clients, tokens)', async () => {
    const failures = await reproFailures([
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/transfers',
        body: transfer({ description: 'a\u0000b' }),
      },
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/transfers',
        body: transfer({ metadata: { note: 'a\u0000b' } }),
      },
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/transfers',
        body: transfer({ metadata: { 'a\u0000b': 1 } }),
      },
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/deposits',
        body: JSON.stringify({
          account_id: bank.accounts.alice_usd,
          amount: '1.00',
          currency: 'USD',
          description: '\u0000',
        }),
      },
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/withdrawals',
        body: JSON.stringify({
          account_id: bank.accounts.alice_usd,
          amount: '1.00',
          currency: 'USD',
          description: '\u0000',
        }),
      },
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/transfers/batch',
        body: JSON.stringify({ transfers: [JSON.parse(transfer({ description: '\u0000' }))] }),
      },
      {
        service: 'transactions',
        method: 'POST',
        url: `/v1/transfers/${bank.transfers.posted}/reverse`,
        body: JSON.stringify({ reason: 'a\u0000b' }),
      },
      {
        service: 'accounts',
        method: 'POST',
        url: '/v1/clients',
        body: JSON.stringify({ name: 'a\u0000b', role: 'service' }),
      },
      {
        service: 'accounts',
        method: 'POST',
        url: '/v1/auth/token',
        body: JSON.stringify({ client_id: 'a\u0000b', client_secret: 'anything' }),
        as: 'none',
      },
    ]);
    expect(failures).toEqual([]);
  });

  it('regression: a body value nested 5,000 levels deep is a 400, not a 500 (transfer metadata; nullable fields of clients and customers)', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const body = transfer({ metadata: '@' }).replace('"@"', `{"a":${deep}}`);
    const failures = await reproFailures([
      // JSON.stringify in checkMetadata (transactions data-access) overflows the stack.
      { service: 'transactions', method: 'POST', url: '/v1/transfers', body },
      {
        service: 'transactions',
        method: 'POST',
        url: '/v1/transfers/batch',
        body: `{"transfers":[${body}]}`,
      },
      // TypeBox's Value.Default clones a union-typed (nullable) value recursively in the validator compiler.
      {
        service: 'accounts',
        method: 'POST',
        url: '/v1/clients',
        body: `{"name":"fuzz","role":"customer","customer_id":${deep}}`,
      },
      {
        service: 'accounts',
        method: 'POST',
        url: '/v1/customers',
        body: `{"full_name":"fuzz","country":"US","email":${deep}}`,
      },
    ]);
    expect(failures).toEqual([]);
  });

  it('regression: a timestamp of year 0000 or with second 60 is a 400, not a 500 (balance as_of, entries from/to)', async () => {
    const account = bank.accounts.alice_usd;
    const failures = await reproFailures([
      {
        service: 'accounts',
        method: 'GET',
        url: `/v1/accounts/${account}/balance?as_of=0000-01-01T00:00:00.000Z`,
      },
      {
        service: 'accounts',
        method: 'GET',
        url: `/v1/accounts/${account}/balance?as_of=2016-12-31T23:59:60.000Z`,
      },
      {
        service: 'accounts',
        method: 'GET',
        url: `/v1/accounts/${account}/entries?from=0000-01-01T00:00:00.000Z`,
      },
      { service: 'accounts', method: 'GET', url: `/v1/accounts/${account}/entries?to=2016-12-31T23:59:60Z` },
    ]);
    expect(failures).toEqual([]);
  });

  it('regression: an entries cursor whose sequence is past the bigint range is a 400, not a 500', async () => {
    const failures = await reproFailures([
      {
        service: 'accounts',
        method: 'GET',
        url: `/v1/accounts/${bank.accounts.alice_usd}/entries?cursor=${b64url({ sequence: '9223372036854775808' })}`,
      },
    ]);
    expect(failures).toEqual([]);
  });

  it("regression: an undecodable URL or a path parameter over 100 characters gets a problem, not the router's own JSON", async () => {
    const failures = await reproFailures([
      { service: 'accounts', method: 'GET', url: '/v1/accounts/%' },
      { service: 'accounts', method: 'GET', url: '/v1/customers/%ED%A0%80' },
      { service: 'transactions', method: 'GET', url: `/v1/transfers/${'x'.repeat(101)}` },
    ]);
    expect(failures).toEqual([]);
  });

  it('regression: validation_failed for a body that is not JSON carries errors: [{ path, message }]', async () => {
    const failures = await reproFailures([
      { service: 'transactions', method: 'POST', url: '/v1/transfers', body: '{' },
      { service: 'accounts', method: 'POST', url: '/v1/customers', body: '{"a":1}{"b":2}' },
    ]);
    expect(failures).toEqual([]);
  });
});
