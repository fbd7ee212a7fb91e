import {
  createTestDatabase,
  insertPlanTestAccounts,
  indexesUsed,
  planOf,
  sequentiallyScanned,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stuckTransfersStatement } from './stuck-transfers';

// The stuck-transfer sweep runs every 30 s on every ledger worker, whose client runs generic plans. Its
// statement must read only index ranges, and its pending branch only the holds with a requested action
// (the partial index), never every open hold. Checked on a database with many open holds.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await insertPlanTestAccounts(database.pool, 1000);
  await database.pool.query(`
    -- 200,000 transfers a day old: one in ten an open hold, one in a thousand of those with a requested action.
    WITH account_list AS (SELECT array_agg(id) AS ids FROM accounts)
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, hold,
                           hold_expires_at, hold_action, client_id, created_at, updated_at, posted_at)
    SELECT overlay(uuidv7_lower_bound(at)::text PLACING substr(md5(g::text), 1, 12) FROM 25)::uuid,
           'transfer', a.ids[1 + g % 1000], a.ids[1 + (g + 1) % 1000], 1, 'USD',
           CASE WHEN g % 10 = 0 THEN 'pending'::transfer_status ELSE 'posted'::transfer_status END,
           g % 10 = 0, CASE WHEN g % 10 = 0 THEN now() + interval '7 days' END,
           CASE WHEN g % 10000 = 0 THEN 'void'::hold_action END,
           'test-client', at, at, CASE WHEN g % 10 <> 0 THEN at END
      FROM generate_series(1, 200000) AS g, account_list a,
           LATERAL (SELECT now() - interval '1 day' + g * interval '100 milliseconds' AS at) AS t;
    ANALYZE;`);
}, 120_000);

afterAll(async () => {
  await database.drop();
});

describe('the stuck-transfer sweep statement', () => {
  for (const mode of ['custom', 'generic'] as const) {
    it(`reads index ranges only, and requested hold actions through their partial index (${mode} plan)`, async () => {
      const statement = stuckTransfersStatement(new Date(Date.now() - 60_000), 100);
      const plan = await planOf(database.pool, mode, statement.text, statement.values);
      expect(sequentiallyScanned(plan).filter((table) => table === 'transfers')).toEqual([]);
      expect(indexesUsed(plan)).toContain('transfers_hold_action_requested_idx');
    });
  }
});
