import {
  createTestDatabase,
  indexesUsed,
  insertPlanTestAccounts,
  planOf,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A status change that leaves the transfer's phase writes a new row version into every index whose
// predicate it meets; screening's changes, inside the phase `in_flight`, touch no indexed column and stay
// HOT. The batch and reversal indexes are partial on their column being set: ordinary transfers, nearly
// all of them, write nothing there. Checked on a database big enough for the planner to prefer indexes.

const INDEX_PAGE_BYTES = 8192;

let database: TestDatabase;

async function indexBytes(name: string): Promise<number> {
  const { rows } = await database.pool.query<{ bytes: string }>(
    `SELECT pg_relation_size($1::regclass)::text AS bytes`,
    [name],
  );
  return Number(rows[0]!.bytes);
}

/** The indexes a statement reads in its custom plan, then in its generic one. */
async function indexesInBothPlans(sql: string, parameters: unknown[]): Promise<string[]> {
  const used: string[] = [];
  for (const mode of ['custom', 'generic'] as const)
    used.push(...indexesUsed(await planOf(database.pool, mode, sql, parameters)));
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
    const [original] = (
      await database.pool.query<{ id: string }>(`SELECT id::text AS id FROM transfers LIMIT 1`)
    ).rows;
    await database.pool.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id, batch_id, reverses_transfer_id)
       SELECT gen_random_uuid(), 'reversal', destination_account_id, source_account_id, 1, 'USD', 'test-client', $1::uuid, id
         FROM transfers WHERE id = $2::uuid`,
      [batch!.id, original!.id],
    );

    expect(
      await indexesInBothPlans(`SELECT id FROM transfers WHERE batch_id = $1::uuid`, [batch!.id]),
    ).toEqual(['transfers_batch_id_idx', 'transfers_batch_id_idx']);
    expect(
      await indexesInBothPlans(
        `SELECT id FROM transfers WHERE reverses_transfer_id = $1::uuid AND phase <> 'rejected'`,
        [original!.id],
      ),
    ).toEqual(['transfers_reverses_transfer_id_key', 'transfers_reverses_transfer_id_key']);
  });

  it('list a status through the (phase, id) index, planned for the value or not', async () => {
    const listing = `SELECT id FROM transfers
      WHERE phase = transfer_phase($1::transfer_status) AND status = $1::transfer_status AND id < $2::uuid
      ORDER BY id DESC LIMIT 51`;
    for (const status of ['held', 'approved'])
      expect(await indexesInBothPlans(listing, [status, 'ffffffff-ffff-7fff-bfff-ffffffffffff'])).toEqual([
        'transfers_phase_id_idx',
        'transfers_phase_id_idx',
      ]);
  });
});

describe('transfer status changes', () => {
  it('name no index: the indexes name the phase, one per status outside flight', async () => {
    const { rows } = await database.pool.query<{ definition: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = 'transfers'::regclass`,
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((row) => /\bstatus\b/.test(row.definition)).map((row) => row.definition)).toEqual([]);
    const phases = await database.pool.query<{ status: string; phase: string }>(
      `SELECT s::text AS status, transfer_phase(s) AS phase FROM unnest(enum_range(NULL::transfer_status)) AS s`,
    );
    expect(Object.fromEntries(phases.rows.map((row) => [row.status, row.phase]))).toEqual({
      received: 'in_flight',
      screening: 'in_flight',
      approved: 'in_flight',
      held: 'held',
      pending: 'pending',
      posted: 'posted',
      rejected: 'rejected',
      voided: 'voided',
    });
  });

  it('through screening are HOT updates; leaving the phase is not', async () => {
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      const [transfer] = (
        await client.query<{ id: string; phase: string }>(
          `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id)
           SELECT gen_random_uuid(), 'transfer', source_account_id, destination_account_id, 1, 'USD', 'test-client'
             FROM transfers LIMIT 1
           RETURNING id::text AS id, phase`,
        )
      ).rows;
      expect(transfer!.phase).toBe('in_flight');
      // The backend's counts not yet reported to the cumulative statistics: this transaction's, and those
      // of the setup's statements that ran on this connection. Hence the differences.
      const counted = async () => {
        const { rows } = await client.query<{ updates: string; hot: string }>(
          `SELECT n_tup_upd::text AS updates, n_tup_hot_upd::text AS hot FROM pg_stat_xact_user_tables WHERE relname = 'transfers'`,
        );
        return { updates: Number(rows[0]!.updates), hot: Number(rows[0]!.hot) };
      };
      const before = await counted();
      const move = async (status: string) => {
        const { rows } = await client.query<{ phase: string }>(
          `UPDATE transfers SET status = $2::transfer_status, updated_at = now(),
                  posted_at = CASE WHEN $2 = 'posted' THEN now() END
            WHERE id = $1::uuid RETURNING phase`,
          [transfer!.id, status],
        );
        const now = await counted();
        return { phase: rows[0]!.phase, updates: now.updates - before.updates, hot: now.hot - before.hot };
      };
      expect(await move('screening')).toEqual({ phase: 'in_flight', updates: 1, hot: 1 });
      expect(await move('approved')).toEqual({ phase: 'in_flight', updates: 2, hot: 2 });
      expect(await move('posted')).toEqual({ phase: 'posted', updates: 3, hot: 2 });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
