import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportLedger, runReportForTest, type ReportLedger } from '../testing';

let database: TestDatabase;
let ledger: ReportLedger;
const ids = { alice_usd: '', bob_usd: '', alice_eur: '' };

const at = (instant: string) => new Date(instant);
const PERIOD = { from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' };

/** The check rows of a report, as (check, scope, status, checked, violations). */
function checksOf(rows: Array<Record<string, string>>): string[][] {
  return rows
    .filter((row) => row['record'] === 'check')
    .map((row) => [row['check']!, row['scope']!, row['status']!, row['checked']!, row['violations']!]);
}

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = createReportLedger(database);
  const alice = await ledger.customer();
  const bob = await ledger.customer();
  ids.alice_usd = await ledger.account(alice);
  ids.alice_eur = await ledger.account(alice, 'EUR');
  ids.bob_usd = await ledger.account(bob);
  await ledger.deposit(ids.alice_usd, '500.00', at('2026-05-20T10:00:00.000Z')); // before the period
  await ledger.deposit(ids.alice_eur, '70.00', at('2026-06-02T10:00:00.000Z'), 'EUR');
  await ledger.transfer(ids.alice_usd, ids.bob_usd, '12.34', at('2026-06-03T10:00:00.000Z'));
  await ledger.withdraw(ids.bob_usd, '2.34', at('2026-06-04T10:00:00.000Z'));
});

afterAll(async () => {
  await database.drop();
});

describe('the reconciliation report', () => {
  it('passes every check on a ledger only the engine wrote, with what each one checked', async () => {
    const { report, rows, columns } = await runReportForTest({
      db: database.db,
      type: 'reconciliation',
      ...PERIOD,
    });
    expect(columns).toEqual([
      'record',
      'check',
      'scope',
      'status',
      'checked',
      'violations',
      'subject',
      'details',
    ]);
    expect(checksOf(rows)).toEqual([
      ['currencies_sum_to_zero', 'book', 'ok', '2', '0'],
      ['account_totals_match_entries', 'book', 'ok', '5', '0'],
      ['entry_balances_follow_entries', 'book', 'ok', '8', '0'],
      ['posted_transfers_have_their_debit_and_credit', 'book', 'ok', '4', '0'],
      ['entries_only_for_posted_transfers', 'book', 'ok', '8', '0'],
      ['period_posted_transfers_have_their_debit_and_credit', 'period', 'ok', '3', '0'],
      ['period_debits_equal_credits', 'period', 'ok', '6', '0'],
    ]);
    expect(rows.find((row) => row['check'] === 'period_debits_equal_credits')?.['details']).toBe(
      'EUR: debits=70.0000 credits=70.0000; USD: debits=14.6800 credits=14.6800',
    );
    expect(rows.filter((row) => row['record'] === 'violation')).toEqual([]);
    expect(report.summary).toEqual({
      ok: true,
      checks: 7,
      checks_failed: 0,
      violations: 0,
      violations_truncated: false,
      book: { currencies: 2, accounts: 5, posted_transfers: 4, entries: 8 },
      period: { posted_transfers: 3, entries: 6 },
    });
  });

  // Journal entries are append-only (a trigger refuses UPDATE and DELETE), so the tampering here is what
  // someone could do behind the ledger's back: change a balance column, mark a transfer posted, add an entry.
  it('finds violations planted with SQL, in the book and in the period', async () => {
    await database.pool.query(`UPDATE accounts SET posted_credits = posted_credits + 1 WHERE id = $1`, [
      ids.bob_usd,
    ]);
    const posted_without_entries = await ledger.attempt({
      source_account_id: ids.alice_usd,
      destination_account_id: ids.bob_usd,
      amount: '1.00',
      at: at('2026-06-10T00:00:00.000Z'),
    });
    await database.pool.query(
      `UPDATE transfers SET status = 'posted', posted_at = '2026-06-10T00:00:00.000Z' WHERE id = $1`,
      [posted_without_entries],
    );
    const unposted_with_entry = await ledger.attempt({
      source_account_id: ids.alice_eur,
      destination_account_id: ids.alice_usd,
      amount: '5.00',
      currency: 'EUR',
      at: at('2026-06-11T00:00:00.000Z'),
    });
    const { rows: sequence } = await database.pool.query<{ last_entry_sequence: string }>(
      `SELECT last_entry_sequence::text AS last_entry_sequence FROM accounts WHERE id = $1`,
      [ids.alice_eur],
    );
    await database.pool.query(
      `INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, posted_at)
       VALUES ($1, $2, $3, 'debit', 5, 'EUR', 65, $4, '2026-06-11T00:00:00.000Z')`,
      [uuidv7(), ids.alice_eur, unposted_with_entry, BigInt(sequence[0]!.last_entry_sequence) + 1n],
    );

    const { report, rows } = await runReportForTest({ db: database.db, type: 'reconciliation', ...PERIOD });
    expect(checksOf(rows)).toEqual([
      ['currencies_sum_to_zero', 'book', 'violation', '2', '1'],
      ['account_totals_match_entries', 'book', 'violation', '5', '2'],
      ['entry_balances_follow_entries', 'book', 'ok', '9', '0'],
      ['posted_transfers_have_their_debit_and_credit', 'book', 'violation', '5', '1'],
      ['entries_only_for_posted_transfers', 'book', 'violation', '9', '1'],
      ['period_posted_transfers_have_their_debit_and_credit', 'period', 'violation', '4', '1'],
      ['period_debits_equal_credits', 'period', 'violation', '7', '1'],
    ]);
    const violations = rows
      .filter((row) => row['record'] === 'violation')
      .map((row) => [row['check'], row['subject'], row['details']]);
    expect(violations).toEqual([
      ['currencies_sum_to_zero', 'USD', 'currency=USD posted_sum=1.0000'],
      ...[
        [
          'account_totals_match_entries',
          ids.bob_usd,
          expect.stringContaining('posted_credits=13.3400 entry_credits=12.3400'),
        ],
        [
          'account_totals_match_entries',
          ids.alice_eur,
          expect.stringContaining('posted_debits=0.0000 entry_debits=5.0000'),
        ],
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        'posted_transfers_have_their_debit_and_credit',
        posted_without_entries,
        `transfer_id=${posted_without_entries} debit_amount=none credit_amount=none expected_amount=1.0000 posted_in_period=true`,
      ],
      [
        'entries_only_for_posted_transfers',
        unposted_with_entry,
        `transfer_id=${unposted_with_entry} status=approved`,
      ],
      ['period_debits_equal_credits', 'EUR', 'entries=3 debits=75.0000 credits=70.0000'],
    ]);
    expect(report.summary).toMatchObject({
      ok: false,
      checks: 7,
      checks_failed: 6,
      violations: 6,
      violations_truncated: false,
    });
  });
});
