import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessScopeFor, ALL_ACCESS } from '../access/access-scope';
import { createAccountService, type Account, type AccountService } from './account.service';

let database: TestDatabase;
let accounts: AccountService;
let customerId: string;
let account: Account;
let settlement: Account;
const postedAt: Date[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  accounts = createAccountService({ db: database.db });
  customerId = uuidv7();
  await database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, '\\x00', '\\x00', 'test', 'US')`,
    [customerId],
  );
  const opened = await accounts.open({ customer_id: customerId, currency: 'USD' });
  if (!opened.ok) throw new Error(opened.error);
  account = opened.value;
  settlement = await accounts.ensureSettlementAccount('USD');
  // Seven deposits of 1, 2, ... 7 dollars, one minute apart, as the ledger would write them.
  let balance = 0;
  for (let sequence = 1; sequence <= 7; sequence += 1) {
    const at = new Date(Date.UTC(2026, 0, 1, 12, sequence));
    postedAt.push(at);
    balance += sequence;
    const transferId = uuidv7();
    await database.pool.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id, posted_at)
       VALUES ($1, 'deposit', $2, $3, $4, 'USD', 'posted', 'test', $5)`,
      [transferId, settlement.id, account.id, sequence, at],
    );
    await database.pool.query(
      `INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, description, posted_at)
       VALUES ($1, $2, $3, 'credit', $4, 'USD', $5, $6, $7, $8)`,
      [uuidv7(), account.id, transferId, sequence, balance, sequence, `deposit ${sequence}`, at],
    );
  }
  await database.pool.query(
    `UPDATE accounts SET posted_credits = $2, last_entry_sequence = 7 WHERE id = $1`,
    [account.id, balance],
  );
});
afterAll(() => database.drop());

describe('listEntries', () => {
  it('pages newest first by sequence', async () => {
    const sequences: bigint[] = [];
    let before_sequence: bigint | undefined;
    do {
      const result = await accounts.listEntries(account.id, ALL_ACCESS, { limit: 3, before_sequence });
      if (!result.ok) throw new Error(result.error);
      sequences.push(...result.value.entries.map((entry) => entry.account_sequence));
      before_sequence = result.value.next_before_sequence ?? undefined;
    } while (before_sequence !== undefined);
    expect(sequences).toEqual([7n, 6n, 5n, 4n, 3n, 2n, 1n]);
  });

  it("formats amounts with the currency's minor units", async () => {
    const result = await accounts.listEntries(account.id, ALL_ACCESS, { limit: 1 });
    expect(result).toMatchObject({
      ok: true,
      value: {
        entries: [
          {
            direction: 'credit',
            amount: '7.00',
            balance_after: '28.00',
            description: 'deposit 7',
            posted_at: postedAt[6],
          },
        ],
        next_before_sequence: 7n,
      },
    });
  });

  it('filters by from (inclusive) and to (exclusive)', async () => {
    const result = await accounts.listEntries(account.id, ALL_ACCESS, { from: postedAt[1], to: postedAt[4] });
    if (!result.ok) throw new Error(result.error);
    expect(result.value.entries.map((entry) => entry.account_sequence)).toEqual([4n, 3n, 2n]);
    expect(result.value.next_before_sequence).toBeNull();
  });

  it('pages within a time window', async () => {
    const sequences: bigint[] = [];
    let before_sequence: bigint | undefined;
    do {
      const result = await accounts.listEntries(account.id, ALL_ACCESS, {
        from: postedAt[0],
        to: postedAt[5],
        limit: 2,
        before_sequence,
      });
      if (!result.ok) throw new Error(result.error);
      sequences.push(...result.value.entries.map((entry) => entry.account_sequence));
      before_sequence = result.value.next_before_sequence ?? undefined;
    } while (before_sequence !== undefined);
    expect(sequences).toEqual([5n, 4n, 3n, 2n, 1n]);
  });

  it('is empty for windows with no entries', async () => {
    const early = await accounts.listEntries(account.id, ALL_ACCESS, { to: postedAt[0] });
    const late = await accounts.listEntries(account.id, ALL_ACCESS, {
      from: new Date(postedAt[6]!.getTime() + 1),
    });
    const inverted = await accounts.listEntries(account.id, ALL_ACCESS, {
      from: postedAt[4],
      to: postedAt[1],
    });
    for (const result of [early, late, inverted])
      expect(result).toEqual({ ok: true, value: { entries: [], next_before_sequence: null } });
  });

  it('is not_found outside the scope', async () => {
    const stranger = accessScopeFor({ role: 'customer', customer_id: uuidv7() });
    expect(await accounts.listEntries(account.id, stranger)).toMatchObject({ ok: false, error: 'not_found' });
    const own = accessScopeFor({ role: 'customer', customer_id: customerId });
    expect(await accounts.listEntries(account.id, own)).toMatchObject({ ok: true });
  });
});

describe('balance as of a past instant', () => {
  it('answers the posted balance from the journal', async () => {
    const balance = await accounts.balance(account.id, ALL_ACCESS, { as_of: postedAt[2] });
    expect(balance).toMatchObject({
      posted: '6.00',
      pending_debits: null,
      pending_credits: null,
      available: null,
      as_of: postedAt[2],
    });
    const before = await accounts.balance(account.id, ALL_ACCESS, { as_of: new Date(Date.UTC(2025, 0, 1)) });
    expect(before).toMatchObject({ posted: '0.00' });
  });

  it('answers from the row for now and the future', async () => {
    const future = new Date(Date.now() + 60_000);
    expect(await accounts.balance(account.id, ALL_ACCESS, { as_of: future })).toMatchObject({
      posted: '28.00',
    });
    expect(await accounts.balance(account.id, ALL_ACCESS)).toMatchObject({
      posted: '28.00',
      available: '28.00',
    });
  });
});
