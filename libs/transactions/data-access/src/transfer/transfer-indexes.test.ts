import { createTestDatabase, indexesUsed, insertPlanTestAccounts, planOf, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every status change of a transfer writes a new row version into every index whose predicate it meets
// (status is indexed, so none of those updates is HOT). The batch and reversal indexes are partial on
// their column being set: ordinary transfers, nearly all of them, write nothing there. Checked on a
// database big enough for the planner to prefer indexes.

const INDEX_PAGE_BYTES = 8192;

let database: TestDatabase;

async function indexBytes(name: string): Promise<number> {
  const { rows } = await database.pool.query<{ bytes: string }>(`SELECT pg_relation_size($1::regclass)::text AS bytes`, [name]);
  return Number(rows[0]!.bytes);
}

/** The indexes a statement reads in its custom plan, then in its generic one. */
async function indexesInBothPlans(sql: string, parameters: unknown[]): Promise<string[]> {
  const used: string[] = [];
  for (const mode of ['custom', 'generic'] as const) used.push(...indexesUsed(await planOf(database.pool, mode, sql, parameters)));
  return used;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await insertPlanTestAccounts(database.pool, 1_000);
  // Ordinary transfers, moved through the pipeline's statuses as the workers move them.
  await database.pool.query(`
    WITH account_list AS (SELECT array_agg(id) AS ids FROM accounts)
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id)
    SELECT gen_random_uuid(), 'transfer', a.ids[1 + g % 1000], a.ids[1 + (g + 1) % 1000], 1, 'USD', 'test-client'
      FROM generate_series(1, 20000) AS g, account_list a`);
  for (const status of ['screening', 'approved', 'posted'])
    await database.pool.query(
      `UPDATE transfers SET status = $1::transfer_status, posted_at = CASE WHEN $1 = 'posted' THEN now() END`,
      [status],
    );
  await database.pool.query('ANALYZE transfers');
}, 120_000);

afterAll(async () => {
  await database.drop();
});

describe('transfer indexes', () => {
  it('hold no entry for transfers outside a batch or that reverse nothing', async () => {
    // An empty btree is its metapage alone; the account indexes beside them hold every row version.
    expect(await indexBytes('transfers_batch_id_idx')).toBe(INDEX_PAGE_BYTES);
    expect(await indexBytes('transfers_reverses_transfer_id_key')).toBe(INDEX_PAGE_BYTES);
    expect(await indexBytes('transfers_source_account_id_id_idx')).toBeGreaterThan(100 * INDEX_PAGE_BYTES);
  });

  it('still find a batch and a reversal through them, planned for the values or not', async () => {
    const [batch] = (
      await database.pool.query<{ id: string }>(
        `INSERT INTO transfer_batches (id, atomic, client_id) VALUES (gen_random_uuid(), true, 'test-client') RETURNING id::text AS id`,
      )
    ).rows;
    const [original] = (await database.pool.query<{ id: string }>(`SELECT id::text AS id FROM transfers LIMIT 1`)).rows;
    await database.pool.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id, batch_id, reverses_transfer_id)
       SELECT gen_random_uuid(), 'reversal', destination_account_id, source_account_id, 1, 'USD', 'test-client', $1::uuid, id
         FROM transfers WHERE id = $2::uuid`,
      [batch!.id, original!.id],
    );

    expect(await indexesInBothPlans(`SELECT id FROM transfers WHERE batch_id = $1::uuid`, [batch!.id])).toEqual([
      'transfers_batch_id_idx',
      'transfers_batch_id_idx',
    ]);
    expect(
      await indexesInBothPlans(`SELECT id FROM transfers WHERE reverses_transfer_id = $1::uuid AND status <> 'rejected'`, [original!.id]),
    ).toEqual(['transfers_reverses_transfer_id_key', 'transfers_reverses_transfer_id_key']);
  });
});
