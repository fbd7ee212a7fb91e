import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountsApp, type TestAccountsApp } from '../testing/test-app';

let t: TestAccountsApp;
beforeAll(async () => {
  t = await startTestAccountsApp();
});
afterAll(() => t.close());

interface AccountBody {
  id: string;
  customer_id: string;
  status: string;
  version: number;
  balance: Record<string, string>;
}

async function createCustomer(): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: t.as('service'),
    payload: { full_name: 'Account Holder', country: 'US' },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

async function openAccount(customer_id: string, extra: Record<string, unknown> = {}): Promise<AccountBody> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    headers: t.as('service'),
    payload: { customer_id, currency: 'USD', ...extra },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<AccountBody>();
}

/** What the ledger would have done to the row; the API only reads these columns. */
async function setBalances(id: string, columns: Record<string, string>): Promise<void> {
  const assignments = Object.keys(columns)
    .map((name, index) => `"${name}" = $${index + 2}::numeric`)
    .join(', ');
  await t.database.pool.query(`UPDATE accounts SET ${assignments} WHERE id = $1`, [
    id,
    ...Object.values(columns),
  ]);
}

function post(url: string, headers: Record<string, string>, payload?: Record<string, unknown>) {
  if (payload === undefined) return t.app.inject({ method: 'POST', url, headers });
  return t.app.inject({ method: 'POST', url, headers, payload });
}

describe('POST /v1/accounts', () => {
  it('opens a checking account with zero balances', async () => {
    const customerId = await createCustomer();
    const response = await post('/v1/accounts', t.as('admin'), { customer_id: customerId, currency: 'EUR' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7/),
      customer_id: customerId,
      currency: 'EUR',
      kind: 'checking',
      status: 'active',
      overdraft_limit: '0.00',
      balance: { posted: '0.00', pending_debits: '0.00', pending_credits: '0.00', available: '0.00' },
      version: 1,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      metadata: {},
    });
    expect(response.headers['location']).toBe(`/v1/accounts/${body.id}`);
  });

  it('takes kind, overdraft limit and metadata', async () => {
    const customerId = await createCustomer();
    const account = await openAccount(customerId, {
      currency: 'JPY',
      kind: 'savings',
      overdraft_limit: '5000',
      metadata: { branch: 'tokyo', tags: ['vip'] },
    });
    expect(account).toMatchObject({
      kind: 'savings',
      overdraft_limit: '5000',
      balance: { available: '5000' },
      metadata: { branch: 'tokyo', tags: ['vip'] },
    });
  });

  it.each([
    ['an unknown currency', { currency: 'ABC' }, '/body/currency'],
    ['a lower-case currency', { currency: 'usd' }, '/body/currency'],
    ['too many decimals for the currency', { overdraft_limit: '1.234' }, '/body/overdraft_limit'],
    [
      'decimals on a zero-decimal currency',
      { currency: 'JPY', overdraft_limit: '10.5' },
      '/body/overdraft_limit',
    ],
    ['a negative overdraft limit', { overdraft_limit: '-1.00' }, '/body/overdraft_limit'],
    ['an overdraft limit as a JSON number', { overdraft_limit: 10 }, '/body/overdraft_limit'],
    ['an overdraft limit in exponent notation', { overdraft_limit: '1e3' }, '/body/overdraft_limit'],
    ['more than 18 integer digits', { overdraft_limit: '1234567890123456789' }, '/body/overdraft_limit'],
    ['a settlement kind', { kind: 'settlement' }, '/body/kind'],
    ['metadata that is an array', { metadata: ['a'] }, '/body/metadata'],
    ['metadata nested too deep', { metadata: { a: { b: { c: { d: 1 } } } } }, '/body/metadata'],
    ['metadata that is too large', { metadata: { note: 'x'.repeat(5000) } }, '/body/metadata'],
    ['a client-set status', { status: 'frozen' }, '/body/status'],
    ['a client-set balance', { balance: { posted: '100.00' } }, '/body/balance'],
    ['a client-set version', { version: 7 }, '/body/version'],
    ['a client-chosen id', { id: uuidv7() }, '/body/id'],
    ['a malformed customer id', { customer_id: 'nope' }, '/body/customer_id'],
    ['a customer that does not exist', { customer_id: uuidv7() }, '/body/customer_id'],
  ])('rejects %s with 400 validation_failed', async (_name, extra, path) => {
    const customerId = await createCustomer();
    const response = await post('/v1/accounts', t.as('service'), {
      customer_id: customerId,
      currency: 'USD',
      ...extra,
    });
    expect(response.statusCode, response.body).toBe(400);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it('is forbidden to customers (even for themselves), operators and compliance', async () => {
    const customerId = await createCustomer();
    for (const headers of [t.as('customer', customerId), t.as('operator'), t.as('compliance')]) {
      const response = await post('/v1/accounts', headers, { customer_id: customerId, currency: 'USD' });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    expect((await post('/v1/accounts', {}, { customer_id: customerId, currency: 'USD' })).statusCode).toBe(
      401,
    );
  });
});

describe('GET /v1/accounts/:id', () => {
  it('shows an account to staff roles and to its own customer only', async () => {
    const alice = await createCustomer();
    const bob = await createCustomer();
    const account = await openAccount(alice);
    for (const headers of [
      t.as('service'),
      t.as('admin'),
      t.as('operator'),
      t.as('compliance'),
      t.as('customer', alice),
    ]) {
      const response = await t.app.inject({ url: `/v1/accounts/${account.id}`, headers });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(account);
    }
    const other = await t.app.inject({ url: `/v1/accounts/${account.id}`, headers: t.as('customer', bob) });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'not_found' });
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect(
      (await t.app.inject({ url: `/v1/accounts/${uuidv7()}`, headers: t.as('service') })).statusCode,
    ).toBe(404);
    const malformed = await t.app.inject({ url: '/v1/accounts/123', headers: t.as('service') });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].path).toBe('/params/id');
  });
});

describe('GET /v1/accounts', () => {
  it('pages through a customer’s accounts in creation order', async () => {
    const customerId = await createCustomer();
    const opened: string[] = [];
    for (let index = 0; index < 5; index += 1) opened.push((await openAccount(customerId)).id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `customer_id=${customerId}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const response = await t.app.inject({ url: `/v1/accounts?${query}`, headers: t.as('operator') });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ data: AccountBody[]; next_cursor: string | null }>();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((account) => account.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null);
    expect(seen).toEqual(opened);
    expect(pages).toBe(3);
  });

  it('filters by status and uses the default page size', async () => {
    const customerId = await createCustomer();
    const frozen = await openAccount(customerId);
    await openAccount(customerId);
    expect((await post(`/v1/accounts/${frozen.id}/freeze`, t.as('service'))).statusCode).toBe(200);
    const response = await t.app.inject({
      url: `/v1/accounts?customer_id=${customerId}&status=frozen`,
      headers: t.as('service'),
    });
    expect(response.json()).toMatchObject({ data: [{ id: frozen.id, status: 'frozen' }], next_cursor: null });
    const all = await t.app.inject({
      url: `/v1/accounts?customer_id=${customerId}`,
      headers: t.as('service'),
    });
    expect(all.json().data).toHaveLength(2);
  });

  it('lists only a customer’s own accounts, whatever filter it sends', async () => {
    const alice = await createCustomer();
    const bob = await createCustomer();
    const own = await openAccount(alice);
    await openAccount(bob);
    const mine = await t.app.inject({ url: '/v1/accounts', headers: t.as('customer', alice) });
    expect(mine.json().data.map((account: AccountBody) => account.id)).toEqual([own.id]);
    const snooping = await t.app.inject({
      url: `/v1/accounts?customer_id=${bob}`,
      headers: t.as('customer', alice),
    });
    expect(snooping.statusCode).toBe(200);
    expect(snooping.json()).toEqual({ data: [], next_cursor: null });
  });

  it.each([
    ['a cursor that is not base64url JSON', 'cursor=%%%', '/query/cursor'],
    [
      'a cursor of another shape',
      `cursor=${Buffer.from('{"id":"x"}').toString('base64url')}`,
      '/query/cursor',
    ],
    [
      'a cursor with extra keys',
      `cursor=${Buffer.from(JSON.stringify({ id: uuidv7(), x: 1 })).toString('base64url')}`,
      '/query/cursor',
    ],
    ['a zero limit', 'limit=0', '/query/limit'],
    ['a limit over 200', 'limit=201', '/query/limit'],
    ['a non-numeric limit', 'limit=ten', '/query/limit'],
    ['an unknown status', 'status=open', '/query/status'],
    ['a malformed customer id', 'customer_id=42', '/query/customer_id'],
    ['an unknown parameter', 'sort=desc', '/query/sort'],
  ])('rejects %s with 400', async (_name, query, path) => {
    const response = await t.app.inject({ url: `/v1/accounts?${query}`, headers: t.as('service') });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().errors.map((error: { path: string }) => error.path)).toContain(path);
  });
});

describe('freeze, unfreeze and close', () => {
  it('follows the status rules', async () => {
    const account = await openAccount(await createCustomer());
    const url = (action: string) => `/v1/accounts/${account.id}/${action}`;
    const unfreezeActive = await post(url('unfreeze'), t.as('service'));
    expect(unfreezeActive.statusCode).toBe(409);
    expect(unfreezeActive.json()).toMatchObject({ code: 'invalid_state' });

    const frozen = await post(url('freeze'), t.as('service'));
    expect(frozen.statusCode).toBe(200);
    expect(frozen.json()).toMatchObject({ id: account.id, status: 'frozen', version: 2 });
    expect((await post(url('freeze'), t.as('admin'))).json()).toMatchObject({ code: 'invalid_state' });

    expect((await post(url('unfreeze'), t.as('admin'))).json()).toMatchObject({
      status: 'active',
      version: 3,
    });
    const closed = await post(url('close'), t.as('service'));
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', version: 4 });
    for (const action of ['freeze', 'unfreeze', 'close']) {
      const response = await post(url(action), t.as('service'));
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'invalid_state' });
    }
  });

  it('accepts an empty JSON body but no fields', async () => {
    const account = await openAccount(await createCustomer());
    const empty = await t.app.inject({
      method: 'POST',
      url: `/v1/accounts/${account.id}/freeze`,
      headers: { ...t.as('service'), 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(200);
  });

  it('refuses to close an account with a balance or pending holds', async () => {
    const customerId = await createCustomer();
    const cases: Array<Record<string, string>> = [
      { posted_credits: '0.01' },
      { pending_debits: '5', overdraft_limit: '10' },
      { pending_credits: '5' },
    ];
    for (const columns of cases) {
      const account = await openAccount(customerId);
      await setBalances(account.id, columns);
      const response = await post(`/v1/accounts/${account.id}/close`, t.as('service'));
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'account_not_empty', status: 409 });
    }
  });

  it('is 403 for roles that can see the account and 404 for those that cannot', async () => {
    const alice = await createCustomer();
    const bob = await createCustomer();
    const account = await openAccount(alice);
    for (const action of ['freeze', 'unfreeze', 'close']) {
      const url = `/v1/accounts/${account.id}/${action}`;
      for (const headers of [t.as('operator'), t.as('compliance'), t.as('customer', alice)]) {
        const response = await post(url, headers);
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ code: 'forbidden' });
      }
      expect((await post(url, t.as('customer', bob))).statusCode).toBe(404);
      expect((await post(url, {})).statusCode).toBe(401);
    }
    expect((await post(`/v1/accounts/${uuidv7()}/freeze`, t.as('service'))).statusCode).toBe(404);
    expect((await post(`/v1/accounts/${uuidv7()}/freeze`, t.as('customer', alice))).statusCode).toBe(404);
    const unchanged = await t.app.inject({ url: `/v1/accounts/${account.id}`, headers: t.as('service') });
    expect(unchanged.json()).toMatchObject({ status: 'active', version: 1 });
  });
});

describe('GET /v1/accounts/:id/balance', () => {
  it('answers from the account row', async () => {
    const customerId = await createCustomer();
    const account = await openAccount(customerId, { overdraft_limit: '100.00' });
    await setBalances(account.id, {
      posted_credits: '250.75',
      posted_debits: '50.25',
      pending_debits: '20',
      pending_credits: '5',
    });
    const response = await t.app.inject({
      url: `/v1/accounts/${account.id}/balance`,
      headers: t.as('customer', customerId),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      posted: '200.50',
      pending_debits: '20.00',
      pending_credits: '5.00',
      available: '280.50',
      as_of: expect.stringMatching(/Z$/),
    });
    const fetched = await t.app.inject({ url: `/v1/accounts/${account.id}`, headers: t.as('service') });
    expect(fetched.json().balance).toEqual({
      posted: '200.50',
      pending_debits: '20.00',
      pending_credits: '5.00',
      available: '280.50',
    });
  });

  it('reports its shared lookups on /metrics, one key per account in each', async () => {
    const account = await openAccount(await createCustomer());
    const lookups = async () => {
      const text = (await t.app.inject({ url: '/metrics' })).body;
      const count = /^ledgerline_batch_keys_count\{[^}]*batcher="balance"[^}]*\} (\d+)$/m.exec(text);
      const keys = /^ledgerline_batch_keys_sum\{[^}]*batcher="balance"[^}]*\} (\d+)$/m.exec(text);
      return { lookups: Number(count?.[1] ?? 0), keys: Number(keys?.[1] ?? 0) };
    };
    const before = await lookups();
    const reads = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.app.inject({ url: `/v1/accounts/${account.id}/balance`, headers: t.as('service') }),
      ),
    );
    expect(reads.map((read) => read.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const after = await lookups();
    // Five reads of one account: however they fell into lookups, no lookup asked for the account twice.
    const made = after.lookups - before.lookups;
    expect(made).toBeGreaterThanOrEqual(1);
    expect(made).toBeLessThanOrEqual(5);
    expect(after.keys - before.keys).toBe(made);
  });

  it('is not found for another customer and rejects a malformed as_of', async () => {
    const account = await openAccount(await createCustomer());
    const stranger = await t.app.inject({
      url: `/v1/accounts/${account.id}/balance`,
      headers: t.as('customer', await createCustomer()),
    });
    expect(stranger.statusCode).toBe(404);
    const malformed = await t.app.inject({
      url: `/v1/accounts/${account.id}/balance?as_of=yesterday`,
      headers: t.as('service'),
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].path).toBe('/query/as_of');
  });
});

describe('statement entries and past balances', () => {
  let customerId: string;
  let account: AccountBody;
  const postedAt: string[] = [];

  beforeAll(async () => {
    customerId = await createCustomer();
    account = await openAccount(customerId);
    const settlement = await t.database.pool.query(
      `INSERT INTO accounts (id, currency, kind) VALUES ($1, 'USD', 'settlement')
       ON CONFLICT (currency) WHERE kind = 'settlement' DO UPDATE SET currency = EXCLUDED.currency RETURNING id`,
      [uuidv7()],
    );
    const settlementId = settlement.rows[0].id as string;
    let balance = 0;
    // Five deposits of 10, 20, ... 50, one hour apart, written as the ledger writes them.
    for (let sequence = 1; sequence <= 5; sequence += 1) {
      const at = new Date(Date.UTC(2026, 2, 1, sequence)).toISOString();
      postedAt.push(at);
      balance += sequence * 10;
      const transferId = uuidv7();
      await t.database.pool.query(
        `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id, posted_at)
         VALUES ($1, 'deposit', $2, $3, $4, 'USD', 'posted', 'test', $5)`,
        [transferId, settlementId, account.id, sequence * 10, at],
      );
      await t.database.pool.query(
        `INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, description, posted_at)
         VALUES ($1, $2, $3, 'credit', $4, 'USD', $5, $6, $7, $8)`,
        [uuidv7(), account.id, transferId, sequence * 10, balance, sequence, `deposit ${sequence}`, at],
      );
    }
    await setBalances(account.id, { posted_credits: String(balance) });
  });

  it('lists entries newest first across pages', async () => {
    const amounts: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? 'limit=2' : `limit=2&cursor=${cursor}`;
      const response = await t.app.inject({
        url: `/v1/accounts/${account.id}/entries?${query}`,
        headers: t.as('customer', customerId),
      });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ data: Array<{ amount: string }>; next_cursor: string | null }>();
      amounts.push(...page.data.map((entry) => entry.amount));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(amounts).toEqual(['50.00', '40.00', '30.00', '20.00', '10.00']);
  });

  it('returns statement lines in the contract’s shape, filtered by from and to', async () => {
    const response = await t.app.inject({
      url: `/v1/accounts/${account.id}/entries?from=${postedAt[1]}&to=${postedAt[3]}`,
      headers: t.as('compliance'),
    });
    expect(response.statusCode).toBe(200);
    const page = response.json();
    expect(page.next_cursor).toBeNull();
    expect(page.data).toEqual([
      {
        id: expect.any(String),
        transfer_id: expect.any(String),
        direction: 'credit',
        amount: '30.00',
        balance_after: '60.00',
        description: 'deposit 3',
        posted_at: postedAt[2],
      },
      {
        id: expect.any(String),
        transfer_id: expect.any(String),
        direction: 'credit',
        amount: '20.00',
        balance_after: '30.00',
        description: 'deposit 2',
        posted_at: postedAt[1],
      },
    ]);
  });

  it('answers a past balance from the entries', async () => {
    const response = await t.app.inject({
      url: `/v1/accounts/${account.id}/balance?as_of=${postedAt[2]}`,
      headers: t.as('service'),
    });
    expect(response.json()).toEqual({
      posted: '60.00',
      pending_debits: null,
      pending_credits: null,
      available: null,
      as_of: postedAt[2],
    });
    const now = await t.app.inject({ url: `/v1/accounts/${account.id}/balance`, headers: t.as('service') });
    expect(now.json()).toMatchObject({ posted: '150.00' });
  });

  it('hides entries from other customers and rejects bad cursors and dates', async () => {
    const stranger = await t.app.inject({
      url: `/v1/accounts/${account.id}/entries`,
      headers: t.as('customer', await createCustomer()),
    });
    expect(stranger.statusCode).toBe(404);
    const forged = Buffer.from(JSON.stringify({ sequence: '-1' })).toString('base64url');
    for (const query of [`cursor=${forged}`, 'cursor=abc', 'from=2026-13-01', 'to=tomorrow', 'limit=500']) {
      const response = await t.app.inject({
        url: `/v1/accounts/${account.id}/entries?${query}`,
        headers: t.as('service'),
      });
      expect(response.statusCode, query).toBe(400);
    }
  });
});

describe('settlement accounts', () => {
  it('are never changed through the API', async () => {
    const { rows } = await t.database.pool.query(
      `INSERT INTO accounts (id, currency, kind) VALUES ($1, 'GBP', 'settlement') RETURNING id`,
      [uuidv7()],
    );
    const response = await post(`/v1/accounts/${rows[0].id}/freeze`, t.as('admin'));
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'invalid_state' });
    const read = await t.app.inject({ url: `/v1/accounts/${rows[0].id}`, headers: t.as('service') });
    expect(read.json()).toMatchObject({ kind: 'settlement', customer_id: null });
  });
});
