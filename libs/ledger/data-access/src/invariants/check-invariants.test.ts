import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostingEngine } from '../posting-engine/posting-engine';
import { createLedgerFixtures, type LedgerFixtures } from '../testing';
import { checkInvariants, type InvariantReport } from './check-invariants';

const WORKSPACE = fileURLToPath(new URL('../../../../../', import.meta.url));
const run = promisify(execFile);

let database: TestDatabase;
let fixtures: LedgerFixtures;
const ids: Record<'alice' | 'bob' | 'euro' | 'posted' | 'approved' | 'pending' | 'captured', string> = {
  alice: '',
  bob: '',
  euro: '',
  posted: '',
  approved: '',
  pending: '',
  captured: '',
};

beforeAll(async () => {
  database = await createTestDatabase();
  fixtures = createLedgerFixtures(database);
  const engine = createPostingEngine({ db: database.db, batch_size_max: 10 });
  ids.alice = await fixtures.fundedAccount('500.00');
  ids.bob = await fixtures.fundedAccount('20.00');
  ids.euro = await fixtures.fundedAccount('70.00', { currency: 'EUR' });
  ids.posted = await fixtures.transfer({
    source_account_id: ids.alice,
    destination_account_id: ids.bob,
    amount: '12.34',
  });
  ids.pending = await fixtures.transfer({
    source_account_id: ids.alice,
    destination_account_id: ids.bob,
    amount: '40.00',
    hold: true,
  });
  ids.captured = await fixtures.transfer({
    source_account_id: ids.bob,
    destination_account_id: ids.alice,
    amount: '10.00',
    hold: true,
  });
  await engine.advance([ids.posted, ids.pending, ids.captured]);
  await database.pool.query(
    `UPDATE transfers SET hold_action = 'capture', hold_action_amount = 7.5 WHERE id = $1`,
    [ids.captured],
  );
  await engine.advance([ids.captured]);
  // Left approved on purpose, for tampering below.
  ids.approved = await fixtures.transfer({
    source_account_id: ids.alice,
    destination_account_id: ids.bob,
    amount: '1.00',
  });
});

afterAll(async () => {
  await database.drop();
});

const kinds = (report: InvariantReport) =>
  [...new Set(report.violations.map((violation) => violation.kind))].sort();

/** Runs `tamper`, checks, and always runs `repair`, so each test starts from a clean ledger. */
async function reportAfter(tamper: string, repair: string, parameters: unknown[]): Promise<InvariantReport> {
  await database.pool.query(tamper, parameters);
  try {
    return await checkInvariants(database.db);
  } finally {
    await database.pool.query(repair, parameters);
  }
}

describe('checkInvariants', () => {
  it('finds nothing wrong with a ledger only the engine wrote', async () => {
    const report = await checkInvariants(database.db);
    expect(report).toEqual({
      ok: true,
      counts: { currencies: 2, accounts: 5, posted_transfers: 5, entries: 10 },
      violations: [],
      truncated: false,
    });
  });

  it('notices a balance changed behind the ledger: the currency no longer sums to zero', async () => {
    const report = await reportAfter(
      `UPDATE accounts SET posted_credits = posted_credits + 1 WHERE id = $1`,
      `UPDATE accounts SET posted_credits = posted_credits - 1 WHERE id = $1`,
      [ids.bob],
    );
    expect(report.ok).toBe(false);
    expect(kinds(report)).toEqual(['account_totals_mismatch', 'currency_not_balanced']);
    expect(report.violations).toContainEqual({
      kind: 'currency_not_balanced',
      currency: 'USD',
      posted_sum: '1.0000',
    });
  });

  it('notices pending totals that no live hold explains', async () => {
    const report = await reportAfter(
      `UPDATE transfers SET status = 'voided' WHERE id = $1`,
      `UPDATE transfers SET status = 'pending' WHERE id = $1`,
      [ids.pending],
    );
    expect(kinds(report)).toEqual(['account_totals_mismatch']);
    expect(report.violations).toHaveLength(2);
  });

  it('notices a posted transfer without its entries', async () => {
    const report = await reportAfter(
      `UPDATE transfers SET status = 'posted', posted_at = now() WHERE id = $1`,
      `UPDATE transfers SET status = 'approved', posted_at = NULL WHERE id = $1`,
      [ids.approved],
    );
    expect(report.violations).toEqual([
      {
        kind: 'posted_transfer_entries',
        transfer_id: ids.approved,
        debit_amount: null,
        credit_amount: null,
        expected_amount: '1.0000',
      },
    ]);
  });

  it('notices a capture recorded for another amount than its entries', async () => {
    const report = await reportAfter(
      `UPDATE transfers SET captured_amount = 8 WHERE id = $1`,
      `UPDATE transfers SET captured_amount = 7.5 WHERE id = $1`,
      [ids.captured],
    );
    expect(kinds(report)).toEqual(['posted_transfer_entries']);
  });

  it('passes on the command line (exit 0, one line) and fails on a violation (exit 1)', async () => {
    const command = ['--import', 'tsx', 'tools/scripts/ledger-check.ts'];
    // Only what the tool reads: it must not depend on anything else in the environment.
    const environment = { DATABASE_URL: database.url };
    const clean = await run(process.execPath, command, { cwd: WORKSPACE, env: environment });
    expect(clean.stdout).toBe(
      'ledger-check ok currencies=2 accounts=5 posted_transfers=5 entries=10 violations=0\n',
    );

    await database.pool.query(`UPDATE accounts SET posted_debits = posted_debits + 2 WHERE id = $1`, [
      ids.euro,
    ]);
    try {
      const failed = await run(process.execPath, command, { cwd: WORKSPACE, env: environment }).then(
        () => ({ code: 0, stdout: '', stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(
        /^ledger-check FAILED .* violations=2 currency_not_balanced=1 account_totals_mismatch=1\n$/,
      );
      expect(failed.stderr.trim().split('\n')).toHaveLength(2);
    } finally {
      await database.pool.query(`UPDATE accounts SET posted_debits = posted_debits - 2 WHERE id = $1`, [
        ids.euro,
      ]);
    }
  }, 120_000);

  // Journal entries are append-only, so this one tampering cannot be undone: it runs last.
  it('notices entries for a transfer that is not posted, and a wrong running balance', async () => {
    const { rows } = await database.pool.query<{ last_entry_sequence: string }>(
      `SELECT last_entry_sequence::text AS last_entry_sequence FROM accounts WHERE id = $1`,
      [ids.bob],
    );
    await database.pool.query(
      `INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, posted_at)
       VALUES ($1, $2, $3, 'credit', 1, 'USD', 999, $4, now())`,
      [uuidv7(), ids.bob, ids.approved, BigInt(rows[0]!.last_entry_sequence) + 1n],
    );
    const report = await checkInvariants(database.db);
    expect(kinds(report)).toEqual([
      'account_totals_mismatch',
      'entries_without_posting',
      'entry_balance_mismatch',
    ]);
  });
});
