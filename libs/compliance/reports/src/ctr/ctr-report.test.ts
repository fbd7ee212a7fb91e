import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { complianceThresholdsFromConfig, ComplianceRulesConfigSchema } from '@ledgerline/screening';
import { loadConfig } from '@ledgerline/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportRunner } from '../runner/report-runner';
import { createReportLedger, runReportForTest } from '../testing';

let database: TestDatabase;
const ids = { alice: '', bob: '' };

const at = (instant: string) => new Date(instant);
const PERIOD = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-04T00:00:00.000Z' };

beforeAll(async () => {
  database = await createTestDatabase();
  const ledger = createReportLedger(database);
  ids.alice = await ledger.customer();
  ids.bob = await ledger.customer();
  const alice_usd = await ledger.account(ids.alice);
  const alice_usd_savings = await ledger.account(ids.alice);
  const alice_eur = await ledger.account(ids.alice, 'EUR');
  const bob_usd = await ledger.account(ids.bob);
  // In time order: every USD deposit and withdrawal shares the USD settlement account.
  await ledger.deposit(alice_usd, '9000.00', at('2026-02-28T23:59:59.999Z')); // before the period
  await ledger.deposit(alice_usd, '6000.00', at('2026-03-01T00:00:00.000Z')); // the period's first instant
  await ledger.deposit(alice_usd_savings, '4000.00', at('2026-03-01T23:59:59.999Z')); // same UTC day: 10,000 exactly
  await ledger.deposit(alice_usd, '9999.99', at('2026-03-02T00:00:00.000Z')); // next day, just below
  await ledger.withdraw(alice_usd, '9999.99', at('2026-03-02T10:00:00.000Z')); // just below; never netted with cash in
  await ledger.deposit(alice_eur, '10000.00', at('2026-03-02T12:00:00.000Z'), 'EUR'); // its own currency
  await ledger.withdraw(alice_usd, '10000.00', at('2026-03-03T08:00:00.000Z')); // cash out exactly at the threshold
  await ledger.deposit(bob_usd, '12000.00', at('2026-03-03T09:00:00.000Z'));
  await ledger.transfer(alice_usd, bob_usd, '5000.00', at('2026-03-03T12:00:00.000Z')); // not cash
  await ledger.deposit(bob_usd, '20000.00', at('2026-03-04T00:00:00.000Z')); // the period's end is excluded
});

afterAll(async () => {
  await database.drop();
});

describe('the ctr report', () => {
  it('lists each customer-day-currency whose cash in or cash out reaches the threshold', async () => {
    const { report, rows, columns } = await runReportForTest({ db: database.db, type: 'ctr', ...PERIOD });
    expect(columns).toEqual([
      'date',
      'customer_id',
      'currency',
      'cash_in',
      'cash_out',
      'deposits',
      'withdrawals',
    ]);
    const expected = [
      {
        date: '2026-03-01',
        customer_id: ids.alice,
        currency: 'USD',
        cash_in: '10000.0000',
        cash_out: '0.0000',
        deposits: '2',
        withdrawals: '0',
      },
      {
        date: '2026-03-02',
        customer_id: ids.alice,
        currency: 'EUR',
        cash_in: '10000.0000',
        cash_out: '0.0000',
        deposits: '1',
        withdrawals: '0',
      },
      {
        date: '2026-03-03',
        customer_id: ids.alice,
        currency: 'USD',
        cash_in: '0.0000',
        cash_out: '10000.0000',
        deposits: '0',
        withdrawals: '1',
      },
      {
        date: '2026-03-03',
        customer_id: ids.bob,
        currency: 'USD',
        cash_in: '12000.0000',
        cash_out: '0.0000',
        deposits: '1',
        withdrawals: '0',
      },
    ].sort((a, b) => a.customer_id.localeCompare(b.customer_id));
    expect(rows).toEqual(expected);
    expect(report).toMatchObject({
      type: 'ctr',
      status: 'completed',
      progress: 100,
      summary: {
        rows: 4,
        customers: 2,
        amount_min: '10000',
        totals: {
          EUR: { cash_in: '10000.00', cash_out: '0.00' },
          USD: { cash_in: '22000.00', cash_out: '10000.00' },
        },
      },
    });
  });

  it('reads the same rows one customer and one row at a time', async () => {
    const whole = await runReportForTest({ db: database.db, type: 'ctr', ...PERIOD });
    const paged = await runReportForTest({
      db: database.db,
      type: 'ctr',
      ...PERIOD,
      runner: createReportRunner({
        db: database.db,
        sanctions: null,
        customers_page_size: 1,
        rows_page_size: 1,
      }),
    });
    expect(paged.content).toBe(whole.content);
    expect(paged.rows).toHaveLength(4);
  });

  it('applies the configured threshold', async () => {
    const thresholds = complianceThresholdsFromConfig(
      loadConfig(ComplianceRulesConfigSchema, { COMPLIANCE_CTR_AMOUNT_MIN: '9999.99' }),
    );
    const { rows, report } = await runReportForTest({
      db: database.db,
      type: 'ctr',
      ...PERIOD,
      runner: createReportRunner({ db: database.db, sanctions: null, thresholds }),
    });
    // Alice's 2 March now counts: 9,999.99 in and 9,999.99 out, on one row.
    expect(
      rows.filter(
        (row) =>
          row['customer_id'] === ids.alice && row['date'] === '2026-03-02' && row['currency'] === 'USD',
      ),
    ).toEqual([
      {
        date: '2026-03-02',
        customer_id: ids.alice,
        currency: 'USD',
        cash_in: '9999.9900',
        cash_out: '9999.9900',
        deposits: '1',
        withdrawals: '1',
      },
    ]);
    expect(report.summary).toMatchObject({ rows: 5, amount_min: '9999.99' });
  });

  it('lists nothing for a period without cash, with the header alone', async () => {
    const { rows, content, report } = await runReportForTest({
      db: database.db,
      type: 'ctr',
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
    });
    expect(rows).toEqual([]);
    expect(content).toBe('date,customer_id,currency,cash_in,cash_out,deposits,withdrawals\n');
    expect(report.summary).toEqual({ rows: 0, customers: 0, amount_min: '10000', totals: {} });
  });
});
