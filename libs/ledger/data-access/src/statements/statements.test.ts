import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostingEngine } from '../posting-engine/posting-engine';
import { createLedgerFixtures, type LedgerFixtures } from '../testing';
import { encodeEntriesCursor } from './cursor';
import { createLedgerReader, entriesStatement, type EntriesPage, type LedgerReader } from './statements';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const minute = (count: number) => new Date(T0.getTime() + count * 60_000);

let database: TestDatabase;
let fixtures: LedgerFixtures;
let reader: LedgerReader;
let account: string;
let counterparty: string;

beforeAll(async () => {
  database = await createTestDatabase();
  fixtures = createLedgerFixtures(database);
  reader = createLedgerReader({ db: database.db });
  // Sequence 1 is the funding credit (now); sequences 2..26 are 1.00 debits at T0 + 0..24 minutes.
  account = await fixtures.fundedAccount('100.00');
  counterparty = await fixtures.account();
  let now = T0;
  const engine = createPostingEngine({ db: database.db, batch_size_max: 1, clock: () => now });
  for (let index = 0; index < 25; index += 1) {
    now = minute(index);
    const transfer = await fixtures.transfer({
      source_account_id: account,
      destination_account_id: counterparty,
      amount: '1.00',
      description: `payment ${index}`,
    });
    await engine.advance([transfer]);
  }
});

afterAll(async () => {
  await database.drop();
});

async function page(query: Parameters<LedgerReader['listEntries']>[0]): Promise<EntriesPage> {
  const outcome = await reader.listEntries(query);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.value;
}

async function allSequences(
  query: Omit<Parameters<LedgerReader['listEntries']>[0], 'cursor'>,
): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const current = await page({ ...query, cursor });
    pages.push(current.data.map((entry) => entry.account_sequence));
    cursor = current.next_cursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describe('listEntries', () => {
  it('returns statement lines newest first, formatted for the currency', async () => {
    const first = await page({ account_id: account, limit: 2 });
    expect(first.data[0]).toEqual({
      id: expect.any(String),
      transfer_id: expect.any(String),
      direction: 'debit',
      amount: '1.00',
      balance_after: '75.00',
      currency: 'USD',
      description: 'payment 24',
      posted_at: minute(24).toISOString(),
      account_sequence: '26',
    });
    expect(first.data[1]).toMatchObject({ balance_after: '76.00', account_sequence: '25' });
    expect(first.next_cursor).toEqual(expect.any(String));
  });

  it('pages through every entry with keyset cursors, without gaps or repeats', async () => {
    const pages = await allSequences({ account_id: account, limit: 10 });
    expect(pages.map((sequences) => sequences.length)).toEqual([10, 10, 6]);
    expect(pages.flat()).toEqual(Array.from({ length: 26 }, (_unused, index) => String(26 - index)));
  });

  it('limits to a window: from inclusive, to exclusive', async () => {
    // Minutes 5..9 are sequences 7..11.
    const pages = await allSequences({ account_id: account, from: minute(5), to: minute(10), limit: 2 });
    expect(pages).toEqual([['11', '10'], ['9', '8'], ['7']]);
    expect((await page({ account_id: account, from: minute(100), limit: 5 })).data).toEqual([]);
    expect(
      (await page({ account_id: account, to: new Date('2000-01-01T00:00:00.000Z'), limit: 5 })).data,
    ).toEqual([]);
  });

  it('refuses cursors it did not write, or wrote for another account', async () => {
    expect(await reader.listEntries({ account_id: account, limit: 5, cursor: 'garbage' })).toMatchObject({
      ok: false,
      error: 'invalid_cursor',
    });
    const foreign = encodeEntriesCursor({ account_id: counterparty, account_sequence: 5n });
    expect(await reader.listEntries({ account_id: account, limit: 5, cursor: foreign })).toMatchObject({
      ok: false,
      error: 'invalid_cursor',
    });
  });

  it('answers not_found for an unknown account and an empty page for an account without entries', async () => {
    expect(
      await reader.listEntries({ account_id: '01900000-0000-7000-8000-000000000000', limit: 5 }),
    ).toMatchObject({ ok: false, error: 'not_found' });
    expect(await reader.listEntries({ account_id: 'nope', limit: 5 })).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    const empty = await fixtures.account();
    expect(await reader.listEntries({ account_id: empty, limit: 5 })).toEqual({
      ok: true,
      value: { data: [], next_cursor: null },
    });
  });

  it('reads a bounded number of index entries whatever the depth of the page', async () => {
    const deep = await fixtures.account();
    await database.pool.query(
      `WITH numbered AS (SELECT g, gen_random_uuid() AS transfer_id FROM generate_series(1, 50000) AS g),
            transfers_made AS (
              INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id, posted_at)
              SELECT transfer_id, 'transfer', $1, $2, 1, 'USD', 'posted', 'test-client', now() FROM numbered)
       INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, posted_at)
       SELECT gen_random_uuid(), $1, transfer_id, 'debit', 1, 'USD', -g, g, '2031-01-01'::timestamptz + g * interval '1 second'
         FROM numbered`,
      [deep, counterparty],
    );
    await database.pool.query('ANALYZE journal_entries');

    const blocksAndRows = async (statement: { sql: string; parameters: unknown[] }) => {
      const { rows } = await database.pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.sql}`,
        statement.parameters,
      );
      const plan = rows[0]!['QUERY PLAN'][0]!.Plan;
      return { rows: plan['Actual Rows'], blocks: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'] };
    };
    const newest = await blocksAndRows(entriesStatement(deep, { limit: 50 }, null));
    const oldest = await blocksAndRows(entriesStatement(deep, { limit: 50 }, 60n));
    const window = await blocksAndRows(
      entriesStatement(
        deep,
        { limit: 50, from: new Date('2031-01-01T00:00:10.000Z'), to: new Date('2031-01-01T00:01:00.000Z') },
        null,
      ),
    );
    expect([newest.rows, oldest.rows, window.rows]).toEqual([51, 51, 50]);
    for (const cost of [newest, oldest, window]) expect(cost.blocks).toBeLessThan(40);
  });
});

interface PlanNode {
  'Actual Rows': number;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
}

describe('balanceAsOf', () => {
  it('answers the present from the account row, pending included', async () => {
    const holder = await fixtures.fundedAccount('50.00', { overdraft_limit: '10.00' });
    const hold = await fixtures.transfer({
      source_account_id: holder,
      destination_account_id: counterparty,
      amount: '20.00',
      hold: true,
    });
    await createPostingEngine({ db: database.db, batch_size_max: 1 }).advance([hold]);
    const outcome = await reader.balanceAsOf(holder, new Date(Date.now() + 1_000));
    expect(outcome).toEqual({
      ok: true,
      value: {
        posted: '50.00',
        pending_debits: '20.00',
        pending_credits: '0.00',
        available: '40.00',
        as_of: expect.any(String),
      },
    });
  });

  it('answers a past instant from the newest entry at or before it, with pending unknown', async () => {
    const atMinuteFive = await reader.balanceAsOf(account, minute(5));
    const historical = new Date(T0.getTime() - 1);
    const reading = createLedgerReader({ db: database.db, clock: () => minute(1000) });
    expect(await reading.balanceAsOf(account, minute(5))).toEqual({
      ok: true,
      value: {
        posted: '94.00',
        pending_debits: null,
        pending_credits: null,
        available: null,
        as_of: minute(5).toISOString(),
      },
    });
    expect(await reading.balanceAsOf(account, historical)).toMatchObject({
      ok: true,
      value: { posted: '100.00' },
    });
    expect(await reading.balanceAsOf(account, new Date('2000-01-01T00:00:00.000Z'))).toMatchObject({
      ok: true,
      value: { posted: '0.00' },
    });
    // Without a moved clock, minute 5 of 2030 lies in the future, so it is the present balance.
    expect(atMinuteFive).toMatchObject({ ok: true, value: { posted: '75.00', pending_debits: '0.00' } });
  });

  it('answers not_found for an unknown account', async () => {
    expect(await reader.balanceAsOf('01900000-0000-7000-8000-000000000000', new Date())).toMatchObject({
      ok: false,
      error: 'not_found',
    });
  });
});
