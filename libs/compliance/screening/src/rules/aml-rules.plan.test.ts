import {
  createTestDatabase,
  planNodes,
  planOf,
  sequentiallyScanned,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COMPLIANCE_THRESHOLDS } from '../thresholds/compliance-thresholds';
import { factsStatement } from './aml-rules';

// The rules' statement runs for every screened batch, often of a transfer or two. Its plan must be a
// walk of keys, per transfer, whatever the batch's size: the screening client runs generic plans (priced
// for a batch of ten) and a plain client custom ones. Checked on a database big enough for the planner to
// care, whose statistics were taken when transfers named only the oldest accounts, and a batch from
// accounts opened since: the shape that turned the statement, as one join, into a merge with the whole
// accounts index (the planner expected to stop early), in a benchmark run.

let database: TestDatabase;
let batchIds: string[];

/** Table reads and joins that cost a whole table (or index) instead of the batch's rows. */
async function wholeTableSteps(
  mode: 'custom' | 'generic',
  transfer_ids: readonly string[],
): Promise<string[]> {
  const statement = factsStatement(DEFAULT_COMPLIANCE_THRESHOLDS, transfer_ids);
  const plan = await planOf(database.pool, mode, statement.text, statement.values);
  return [
    ...sequentiallyScanned(plan)
      .filter((table) => table !== 'sanctions_lists')
      .map((table) => `Seq Scan on ${table}`),
    ...planNodes(plan).flatMap((node) =>
      ['Merge Join', 'Hash Join'].includes(node['Node Type']) ? [node['Node Type']] : [],
    ),
  ];
}

beforeAll(async () => {
  database = await createTestDatabase();
  // Ids rise with time, as UUIDv7s do: a row's id is its instant's lower bound plus noise.
  await database.pool.query(`
    CREATE FUNCTION rising_id(at timestamptz, n bigint) RETURNS uuid LANGUAGE sql AS
      $$ SELECT overlay(uuidv7_lower_bound(at)::text PLACING substr(md5(n::text), 1, 12) FROM 25)::uuid $$;
    INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country)
    SELECT gen_random_uuid(), '\\x00', '\\x00', 'test-key', 'US' FROM generate_series(1, 2000);
    -- One customer holds 10,000 accounts, every other one 10; opened over the last 30,000 seconds.
    WITH ranked AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers),
         owners AS (SELECT r.id AS customer_id, row_number() OVER () AS n
                      FROM ranked r, generate_series(1, CASE WHEN r.n = 1 THEN 10000 ELSE 10 END))
    INSERT INTO accounts (id, customer_id, currency)
    SELECT rising_id(now() - (30000 - n) * interval '1 second', n), customer_id, 'USD' FROM owners;
    -- 200,000 transfers among the oldest 1,000 accounts (a third in the structuring range), and
    -- statistics taken then.
    WITH account_list AS (SELECT array_agg(id ORDER BY id) AS ids, 1000 AS n FROM accounts)
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id, created_at)
    SELECT rising_id(at, g), 'transfer', a.ids[1 + g % a.n], a.ids[1 + (g + 1) % a.n],
           CASE WHEN g % 3 = 0 THEN 9000 ELSE 25 END, 'USD', 'approved', 'test-client', at
      FROM generate_series(1, 200000) AS g, account_list a,
           LATERAL (SELECT now() - interval '1 minute' - (200000 - g) * interval '100 milliseconds' AS at) AS t;
    ANALYZE;`);
  // The batch to screen: transfers of the newest accounts, opened since the statistics were taken.
  const { rows } = await database.pool.query<{ id: string }>(`
    WITH newest AS (SELECT array_agg(id ORDER BY id DESC) AS ids FROM (SELECT id FROM accounts ORDER BY id DESC LIMIT 20) AS n)
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id)
    SELECT rising_id(now(), 1000000 + g), 'transfer', n.ids[g], n.ids[g + 10], 9000, 'USD', 'received', 'test-client'
      FROM generate_series(1, 10) AS g, newest n
    RETURNING id::text AS id`);
  batchIds = rows.map((row) => row.id).sort();
}, 120_000);

afterAll(async () => {
  await database.drop();
});

describe('the AML rules statement', () => {
  it('walks keys per transfer in its custom plans, for one transfer and for ten', async () => {
    expect(await wholeTableSteps('custom', batchIds.slice(0, 1))).toEqual([]);
    expect(await wholeTableSteps('custom', batchIds)).toEqual([]);
  });

  it('walks keys per transfer in its generic plan, the one the screening client runs', async () => {
    expect(await wholeTableSteps('generic', batchIds.slice(0, 1))).toEqual([]);
  });
});
