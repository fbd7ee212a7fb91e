import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accessScopeFor, ALL_ACCESS } from '../access/access-scope';
import { createAccountService, type Account, type AccountService } from './account.service';

let database: TestDatabase;
let accounts: AccountService;

beforeAll(async () => {
  database = await createTestDatabase();
  accounts = createAccountService({ db: database.db });
});
afterAll(() => database.drop());

/** A customer row with placeholder ciphertext: the account service never reads personal data. */
async function insertCustomer(): Promise<string> {
  const id = uuidv7();
  await database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, '\\x00', '\\x00', 'test', 'US')`,
    [id],
  );
  return id;
}

async function open(
  customer_id: string,
  extra: Partial<Parameters<AccountService['open']>[0]> = {},
): Promise<Account> {
  const result = await accounts.open({ customer_id, currency: 'USD', ...extra });
  if (!result.ok) throw new Error(`open failed: ${result.error}`);
  return result.value;
}

async function setBalances(id: string, columns: Record<string, string>): Promise<void> {
  const names = Object.keys(columns);
  const assignments = names.map((name, index) => `"${name}" = $${index + 2}::numeric`).join(', ');
  await database.pool.query(`UPDATE accounts SET ${assignments} WHERE id = $1`, [
    id,
    ...Object.values(columns),
  ]);
}

describe('open', () => {
  it('opens a checking account with zero balances by default', async () => {
    const customerId = await insertCustomer();
    const account = await open(customerId);
    expect(account).toMatchObject({
      customer_id: customerId,
      currency: 'USD',
      kind: 'checking',
      status: 'active',
      overdraft_limit: '0.00',
      balance: { posted: '0.00', pending_debits: '0.00', pending_credits: '0.00', available: '0.00' },
      version: 1,
      metadata: {},
    });
    expect(account.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(account.created_at).toBeInstanceOf(Date);
  });

  it("keeps the overdraft limit in the currency's minor units and counts it as available", async () => {
    const customerId = await insertCustomer();
    const yen = await open(customerId, {
      currency: 'JPY',
      kind: 'savings',
      overdraft_limit: '1000',
      metadata: { branch: 'tokyo' },
    });
    expect(yen).toMatchObject({ kind: 'savings', overdraft_limit: '1000', metadata: { branch: 'tokyo' } });
    expect(yen.balance.available).toBe('1000');
    const dinar = await open(customerId, { currency: 'KWD', overdraft_limit: '1.5' });
    expect(dinar.overdraft_limit).toBe('1.500');
  });

  it('rejects bad input with typed errors', async () => {
    const customerId = await insertCustomer();
    const cases: Array<[Parameters<AccountService['open']>[0], string]> = [
      [{ customer_id: customerId, currency: 'ABC' }, 'unknown_currency'],
      [{ customer_id: customerId, currency: 'usd' }, 'unknown_currency'],
      [{ customer_id: customerId, currency: 'USD', overdraft_limit: '1.234' }, 'invalid_overdraft_limit'],
      [{ customer_id: customerId, currency: 'USD', overdraft_limit: '-1' }, 'invalid_overdraft_limit'],
      [{ customer_id: customerId, currency: 'JPY', overdraft_limit: '1.5' }, 'invalid_overdraft_limit'],
      [
        { customer_id: customerId, currency: 'USD', overdraft_limit: '1'.repeat(19) },
        'invalid_overdraft_limit',
      ],
      [{ customer_id: customerId, currency: 'USD', metadata: [] }, 'invalid_metadata'],
      [
        { customer_id: customerId, currency: 'USD', metadata: { a: { b: { c: { d: 1 } } } } },
        'invalid_metadata',
      ],
      [{ customer_id: uuidv7(), currency: 'USD' }, 'customer_not_found'],
      [{ customer_id: 'not-a-uuid', currency: 'USD' }, 'customer_not_found'],
    ];
    for (const [input, error] of cases) {
      const result = await accounts.open(input);
      expect(result, JSON.stringify(input)).toMatchObject({ ok: false, error });
      if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
    }
  });
});

describe('get and list', () => {
  it('hides other customers’ accounts from a customer scope', async () => {
    const alice = await insertCustomer();
    const bob = await insertCustomer();
    const account = await open(alice);
    expect(await accounts.get(account.id, ALL_ACCESS)).toEqual(account);
    expect(await accounts.get(account.id, accessScopeFor({ role: 'customer', customer_id: alice }))).toEqual(
      account,
    );
    expect(await accounts.get(account.id, accessScopeFor({ role: 'customer', customer_id: bob }))).toBeNull();
    expect(await accounts.get(account.id, { kind: 'none' })).toBeNull();
    expect(await accounts.get('not-a-uuid', ALL_ACCESS)).toBeNull();
    expect(await accounts.get(uuidv7(), ALL_ACCESS)).toBeNull();
  });

  it('pages by id through every account of a customer, with filters', async () => {
    const alice = await insertCustomer();
    const bob = await insertCustomer();
    const opened: string[] = [];
    for (let index = 0; index < 5; index += 1) opened.push((await open(alice)).id);
    await open(bob);
    await accounts.freeze(opened[1]!, ALL_ACCESS);

    const seen: string[] = [];
    let after_id: string | undefined;
    let pages = 0;
    do {
      const page = await accounts.list({ scope: ALL_ACCESS, customer_id: alice, limit: 2, after_id });
      seen.push(...page.accounts.map((account) => account.id));
      after_id = page.next_after_id ?? undefined;
      pages += 1;
    } while (after_id !== undefined);
    expect(seen).toEqual(opened);
    expect(pages).toBe(3);

    const frozen = await accounts.list({ scope: ALL_ACCESS, customer_id: alice, status: 'frozen' });
    expect(frozen.accounts.map((account) => account.id)).toEqual([opened[1]]);
    const everyFrozen = await accounts.list({ scope: ALL_ACCESS, status: 'frozen' });
    expect(everyFrozen.accounts.map((account) => account.id)).toContain(opened[1]);

    const aliceScope = accessScopeFor({ role: 'customer', customer_id: alice });
    expect((await accounts.list({ scope: aliceScope })).accounts.map((account) => account.id)).toEqual(
      opened,
    );
    expect((await accounts.list({ scope: aliceScope, customer_id: bob })).accounts).toEqual([]);
    expect((await accounts.list({ scope: { kind: 'none' } })).accounts).toEqual([]);
  });

  it('refuses page sizes outside 1..200', async () => {
    await expect(accounts.list({ scope: ALL_ACCESS, limit: 0 })).rejects.toThrow(/limit/);
    await expect(accounts.list({ scope: ALL_ACCESS, limit: 201 })).rejects.toThrow(/limit/);
  });
});

describe('freeze, unfreeze and close', () => {
  it('follows the status rules and bumps the version', async () => {
    const account = await open(await insertCustomer());
    expect(await accounts.unfreeze(account.id, ALL_ACCESS)).toMatchObject({
      ok: false,
      error: 'invalid_state',
    });
    const frozen = await accounts.freeze(account.id, ALL_ACCESS);
    expect(frozen).toMatchObject({ ok: true, value: { status: 'frozen', version: 2 } });
    expect(await accounts.freeze(account.id, ALL_ACCESS)).toMatchObject({
      ok: false,
      error: 'invalid_state',
    });
    expect(await accounts.unfreeze(account.id, ALL_ACCESS)).toMatchObject({
      ok: true,
      value: { status: 'active', version: 3 },
    });
    expect(await accounts.close(account.id, ALL_ACCESS)).toMatchObject({
      ok: true,
      value: { status: 'closed', version: 4 },
    });
    for (const change of [accounts.freeze, accounts.unfreeze, accounts.close]) {
      expect(await change(account.id, ALL_ACCESS)).toMatchObject({ ok: false, error: 'invalid_state' });
    }
  });

  it('lets exactly one of many concurrent freezes through', async () => {
    const account = await open(await insertCustomer());
    const results = await Promise.all(
      Array.from({ length: 8 }, () => accounts.freeze(account.id, ALL_ACCESS)),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok && result.error === 'invalid_state')).toHaveLength(7);
    expect(await accounts.get(account.id, ALL_ACCESS)).toMatchObject({ status: 'frozen', version: 2 });
  });

  it('closes a frozen account', async () => {
    const account = await open(await insertCustomer());
    await accounts.freeze(account.id, ALL_ACCESS);
    expect(await accounts.close(account.id, ALL_ACCESS)).toMatchObject({
      ok: true,
      value: { status: 'closed' },
    });
  });

  it('refuses to close an account with money or holds on it', async () => {
    const customerId = await insertCustomer();
    const cases: Array<Record<string, string>> = [
      { posted_credits: '10' },
      { posted_debits: '5', overdraft_limit: '10' },
      { pending_debits: '1', overdraft_limit: '10' },
      { pending_credits: '1' },
    ];
    for (const columns of cases) {
      const account = await open(customerId);
      await setBalances(account.id, columns);
      expect(await accounts.close(account.id, ALL_ACCESS), JSON.stringify(columns)).toMatchObject({
        ok: false,
        error: 'account_not_empty',
      });
      expect((await accounts.get(account.id, ALL_ACCESS))?.status).toBe('active');
    }
    const settled = await open(customerId);
    await setBalances(settled.id, { posted_credits: '25.50', posted_debits: '25.5' });
    expect(await accounts.close(settled.id, ALL_ACCESS)).toMatchObject({
      ok: true,
      value: { status: 'closed' },
    });
  });

  it('answers not_found outside the scope and for unknown ids', async () => {
    const alice = await insertCustomer();
    const account = await open(alice);
    const bobScope = accessScopeFor({ role: 'customer', customer_id: await insertCustomer() });
    expect(await accounts.freeze(account.id, bobScope)).toMatchObject({ ok: false, error: 'not_found' });
    expect(await accounts.close(uuidv7(), ALL_ACCESS)).toMatchObject({ ok: false, error: 'not_found' });
    expect(await accounts.close('nope', ALL_ACCESS)).toMatchObject({ ok: false, error: 'not_found' });
    expect((await accounts.get(account.id, ALL_ACCESS))?.status).toBe('active');
  });
});

describe('balance', () => {
  it('is computed from the row', async () => {
    const account = await open(await insertCustomer(), { overdraft_limit: '100' });
    await setBalances(account.id, {
      posted_credits: '80.10',
      posted_debits: '30',
      pending_debits: '20.05',
      pending_credits: '7',
    });
    const balance = await accounts.balance(account.id, ALL_ACCESS);
    expect(balance).toMatchObject({
      account_id: account.id,
      currency: 'USD',
      posted: '50.10',
      pending_debits: '20.05',
      pending_credits: '7.00',
      available: '130.05',
    });
    expect(balance?.as_of).toBeInstanceOf(Date);
    expect(await accounts.balance(account.id, { kind: 'none' })).toBeNull();
  });

  it('answers concurrent reads of many accounts, each its own, with one statement between them', async () => {
    const customerId = await insertCustomer();
    const owned = await Promise.all([open(customerId), open(customerId, { currency: 'JPY' })]);
    const foreign = await open(await insertCustomer());
    await setBalances(owned[0]!.id, { posted_credits: '10.25' });
    await setBalances(owned[1]!.id, { posted_credits: '700' });
    await setBalances(foreign.id, { posted_credits: '3' });
    const customer = accessScopeFor({ role: 'customer', customer_id: customerId });
    const statements = vi.spyOn(database.db, '$queryRaw');
    try {
      const reads = await Promise.all([
        accounts.balance(owned[0]!.id, customer),
        accounts.balance(owned[1]!.id.toUpperCase(), customer),
        accounts.balance(foreign.id, customer), // another customer's: not found in this scope
        accounts.balance(foreign.id, ALL_ACCESS), // the same row, read for a caller who may see it
        accounts.balance(uuidv7(), ALL_ACCESS), // no such account
        accounts.balance(owned[0]!.id, customer),
      ]);
      expect(reads.map((read) => read?.posted ?? null)).toEqual([
        '10.25',
        '700',
        null,
        '3.00',
        null,
        '10.25',
      ]);
      expect(statements).toHaveBeenCalledTimes(1);
    } finally {
      statements.mockRestore();
    }
  });

  it('sees a change committed before the read was asked for', async () => {
    const account = await open(await insertCustomer());
    for (const credits of ['1', '2', '3']) {
      await setBalances(account.id, { posted_credits: credits });
      const [first, second] = await Promise.all([
        accounts.balance(account.id, ALL_ACCESS),
        accounts.balance(account.id, ALL_ACCESS),
      ]);
      expect([first?.posted, second?.posted]).toEqual([`${credits}.00`, `${credits}.00`]);
    }
  });
});

describe('ensureSettlementAccount', () => {
  it('creates one settlement account per currency, even when callers race', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => accounts.ensureSettlementAccount('EUR')),
    );
    const ids = new Set(results.map((account) => account.id));
    expect(ids.size).toBe(1);
    expect(results[0]).toMatchObject({
      customer_id: null,
      currency: 'EUR',
      kind: 'settlement',
      status: 'active',
    });
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM accounts WHERE kind = 'settlement' AND currency = 'EUR'`,
    );
    expect(rows[0].n).toBe(1);
    expect((await accounts.ensureSettlementAccount('GBP')).id).not.toBe(results[0]!.id);
  });

  it('never freezes or closes a settlement account and hides it from customers', async () => {
    const settlement = await accounts.ensureSettlementAccount('CHF');
    expect(await accounts.freeze(settlement.id, ALL_ACCESS)).toMatchObject({
      ok: false,
      error: 'invalid_state',
    });
    expect(await accounts.close(settlement.id, ALL_ACCESS)).toMatchObject({
      ok: false,
      error: 'invalid_state',
    });
    const customerScope = accessScopeFor({ role: 'customer', customer_id: await insertCustomer() });
    expect(await accounts.get(settlement.id, customerScope)).toBeNull();
  });

  it('reports a negative balance for the outside world', async () => {
    const settlement = await accounts.ensureSettlementAccount('BHD');
    await setBalances(settlement.id, { posted_debits: '12.5' });
    expect((await accounts.get(settlement.id, ALL_ACCESS))?.balance).toMatchObject({
      posted: '-12.500',
      available: '-12.500',
    });
  });
});
