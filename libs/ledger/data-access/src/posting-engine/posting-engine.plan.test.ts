import {
  createTestDatabase,
  insertPlanTestAccounts,
  planOf,
  sequentiallyScanned,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCK_ACCOUNTS_SQL,
  LOCK_BATCH_TRANSFERS_SQL,
  LOCK_TRANSFERS_SQL,
  UPDATE_ACCOUNTS_AND_TRANSFERS_SQL,
} from './posting-engine.sql';

// The engine's statements run while rows are locked, so each must reach its rows through an index,
// never by reading a whole table, planned for the values or not (the ledger worker runs generic plans).
// Checked on a database big enough for the planner to care.

let database: TestDatabase;
let transferIds: string[];
let accountIds: string[];
let batchId: string;

/**
 * The tables a statement reads whole, in its custom plan and in its generic one (the ledger worker's
 * client runs generic plans), together: each must be empty.
 */
async function scannedTables(sql: string, parameters: unknown[]): Promise<string[]> {
  const scanned: string[] = [];
  for (const mode of ['custom', 'generic'] as const)
    scanned.push(
      ...sequentiallyScanned(await planOf(database.pool, mode, sql, parameters)).map(
        (table) => `${mode}: ${table}`,
      ),
    );
  return scanned;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await insertPlanTestAccounts(database.pool, 100_000);
  await database.pool.query(`
    INSERT INTO transfer_batches (id, atomic, client_id)
    SELECT gen_random_uuid(), g % 2 = 0, 'test-client' FROM generate_series(1, 50000) AS g;`);
  await database.pool.query(`
    WITH account_list AS (SELECT array_agg(id) AS ids FROM accounts),
         batch_list AS (SELECT array_agg(id) AS ids FROM transfer_batches)
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, batch_id, client_id)
    SELECT gen_random_uuid(), 'transfer', a.ids[1 + g % 100000], a.ids[1 + (g + 1) % 100000], 1, 'USD', 'approved',
           CASE WHEN g <= 100000 THEN b.ids[1 + g % 50000] END, 'test-client'
      FROM generate_series(1, 200000) AS g, account_list a, batch_list b`);
  await database.pool.query('ANALYZE');
  const transfers = await database.pool.query<{ id: string; batch_id: string | null }>(
    `SELECT id::text AS id, batch_id::text AS batch_id FROM transfers ORDER BY random() LIMIT 100`,
  );
  transferIds = transfers.rows.map((row) => row.id);
  const accounts = await database.pool.query<{ id: string }>(
    `SELECT id::text AS id FROM accounts ORDER BY random() LIMIT 200`,
  );
  accountIds = accounts.rows.map((row) => row.id);
  const batches = await database.pool.query<{ id: string }>(
    `SELECT id::text AS id FROM transfer_batches WHERE atomic LIMIT 1`,
  );
  batchId = batches.rows[0]!.id;
}, 120_000);

afterAll(async () => {
  await database.drop();
});

describe('posting engine statements', () => {
  it('lock transfers (and their atomic siblings) through indexes', async () => {
    expect(await scannedTables(LOCK_TRANSFERS_SQL, [transferIds])).toEqual([]);
    expect(await scannedTables(LOCK_TRANSFERS_SQL, [transferIds.slice(0, 1)])).toEqual([]);
    expect(await scannedTables(LOCK_BATCH_TRANSFERS_SQL, [batchId])).toEqual([]);
  });

  it('lock accounts through the primary key', async () => {
    expect(await scannedTables(LOCK_ACCOUNTS_SQL, [accountIds])).toEqual([]);
  });

  it('update accounts and transfers through their primary keys, in one statement', async () => {
    const zeros = accountIds.map(() => '0');
    const versions = accountIds.map(() => '1');
    const nulls = transferIds.map(() => null);
    expect(
      await scannedTables(UPDATE_ACCOUNTS_AND_TRANSFERS_SQL, [
        accountIds,
        zeros,
        zeros,
        zeros,
        zeros,
        zeros,
        versions,
        new Date().toISOString(),
        transferIds,
        transferIds.map(() => 'posted'),
        nulls,
        transferIds.map(() => new Date().toISOString()),
        nulls,
        transferIds.map(() => 'approved'),
        zeros,
        zeros,
        zeros,
        zeros,
        zeros,
      ]),
    ).toEqual([]);
  });
});
