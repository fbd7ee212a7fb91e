import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportRunner } from '../runner/report-runner';
import { createReportLedger, createTestRescreener, runReportForTest } from '../testing';

let database: TestDatabase;
const ids = { frank: '', grace: '', heidi: '', ivan: '' };
const accounts = { frank_usd: '', frank_savings: '', frank_eur: '', grace_usd: '', heidi_usd: '' };

const at = (instant: string) => new Date(instant);
const PERIOD = { from: '2026-08-01T00:00:00.000Z', to: '2026-09-01T00:00:00.000Z' };

async function statusOf(customer_id: string): Promise<string> {
  const { rows } = await database.pool.query(
    `SELECT sanctions_status::text AS status FROM customers WHERE id = $1`,
    [customer_id],
  );
  return rows[0].status;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const ledger = createReportLedger(database);
  for (const name of ['frank', 'grace', 'heidi', 'ivan'] as const) ids[name] = await ledger.customer();
  accounts.frank_usd = await ledger.account(ids.frank);
  accounts.frank_savings = await ledger.account(ids.frank);
  accounts.frank_eur = await ledger.account(ids.frank, 'EUR');
  accounts.grace_usd = await ledger.account(ids.grace);
  accounts.heidi_usd = await ledger.account(ids.heidi);
  // Heidi was a potential match under an older list; the rescreening clears her.
  await database.pool.query(`UPDATE customers SET sanctions_status = 'potential_match' WHERE id = $1`, [
    ids.heidi,
  ]);

  await ledger.deposit(accounts.frank_usd, '5000.00', at('2026-07-31T23:59:59.999Z')); // before the period
  await ledger.deposit(accounts.frank_usd, '1000.00', at('2026-08-01T00:00:00.000Z'));
  await ledger.deposit(accounts.grace_usd, '300.00', at('2026-08-02T00:00:00.000Z'));
  await ledger.deposit(accounts.frank_eur, '20.00', at('2026-08-03T00:00:00.000Z'), 'EUR');
  await ledger.transfer(accounts.frank_usd, accounts.heidi_usd, '100.00', at('2026-08-04T00:00:00.000Z'));
  await ledger.transfer(accounts.heidi_usd, accounts.frank_usd, '50.00', at('2026-08-05T00:00:00.000Z'));
  // Between two of Frank's own accounts: one transfer he was party to, not two.
  await ledger.transfer(accounts.frank_usd, accounts.frank_savings, '10.00', at('2026-08-06T00:00:00.000Z'));
  // Between the two listed customers: it counts for each.
  await ledger.transfer(accounts.grace_usd, accounts.frank_usd, '30.00', at('2026-08-07T00:00:00.000Z'));
  // Refused, so counted but not posted.
  await ledger.attempt({
    source_account_id: accounts.grace_usd,
    destination_account_id: accounts.heidi_usd,
    amount: '500.00',
    status: 'rejected',
    at: at('2026-08-08T00:00:00.000Z'),
  });
  await ledger.deposit(accounts.grace_usd, '999.00', at('2026-09-01T00:00:00.000Z')); // the period's end is excluded
});

afterAll(async () => {
  await database.drop();
});

describe('the sanctions rescreen report', () => {
  it('rescreens every customer, then lists those not clear with their transfers in the period', async () => {
    const rescreener = createTestRescreener({
      pool: database.pool,
      list_version: 7,
      statuses: {
        [ids.frank]: 'potential_match',
        [ids.grace]: 'confirmed_match',
        [ids.ivan]: 'potential_match',
      },
    });
    const { report, rows, columns } = await runReportForTest({
      db: database.db,
      type: 'sanctions_rescreen',
      ...PERIOD,
      sanctions: rescreener,
    });
    expect(rescreener.calls).toEqual([7]);
    expect(await statusOf(ids.heidi)).toBe('clear');
    expect(columns).toEqual([
      'customer_id',
      'sanctions_status',
      'currency',
      'transfers',
      'total',
      'posted_transfers',
      'posted_total',
    ]);
    const expected = [
      {
        customer_id: ids.frank,
        sanctions_status: 'potential_match',
        currency: 'EUR',
        transfers: '1',
        total: '20.0000',
        posted_transfers: '1',
        posted_total: '20.0000',
      },
      // Deposit 1,000, to Heidi 100, from Heidi 50, to himself 10, from Grace 30.
      {
        customer_id: ids.frank,
        sanctions_status: 'potential_match',
        currency: 'USD',
        transfers: '5',
        total: '1190.0000',
        posted_transfers: '5',
        posted_total: '1190.0000',
      },
      // Deposit 300, to Frank 30, the refused 500.
      {
        customer_id: ids.grace,
        sanctions_status: 'confirmed_match',
        currency: 'USD',
        transfers: '3',
        total: '830.0000',
        posted_transfers: '2',
        posted_total: '330.0000',
      },
      {
        customer_id: ids.ivan,
        sanctions_status: 'potential_match',
        currency: '',
        transfers: '0',
        total: '0.0000',
        posted_transfers: '0',
        posted_total: '0.0000',
      },
    ];
    expect(rows).toEqual(expected);
    expect(report.summary).toEqual({
      list_loaded: true,
      list_version: 7,
      screened: 4,
      clear: 1,
      potential_match: 2,
      confirmed_match: 1,
      customers_listed: 3,
      transfers: 9,
      totals: { EUR: '20.00', USD: '2020.00' },
      note: null,
    });
  });

  it('lists the same rows one customer per page', async () => {
    const rescreener = () =>
      createTestRescreener({
        pool: database.pool,
        list_version: 7,
        statuses: {
          [ids.frank]: 'potential_match',
          [ids.grace]: 'confirmed_match',
          [ids.ivan]: 'potential_match',
        },
      });
    const whole = await runReportForTest({
      db: database.db,
      type: 'sanctions_rescreen',
      ...PERIOD,
      sanctions: rescreener(),
    });
    const paged = await runReportForTest({
      db: database.db,
      type: 'sanctions_rescreen',
      ...PERIOD,
      runner: createReportRunner({ db: database.db, sanctions: rescreener(), customers_page_size: 1 }),
    });
    expect(paged.content).toBe(whole.content);
  });

  it('completes with a summary saying so when no list is loaded, changing no status', async () => {
    await database.pool.query(`UPDATE customers SET sanctions_status = 'potential_match' WHERE id = $1`, [
      ids.heidi,
    ]);
    const rescreener = createTestRescreener({ pool: database.pool, list_version: null, statuses: {} });
    const { report, rows, content } = await runReportForTest({
      db: database.db,
      type: 'sanctions_rescreen',
      ...PERIOD,
      sanctions: rescreener,
    });
    expect(rescreener.calls).toEqual([]);
    expect(await statusOf(ids.heidi)).toBe('potential_match');
    expect(rows).toEqual([]);
    expect(content).toBe(
      'customer_id,sanctions_status,currency,transfers,total,posted_transfers,posted_total\n',
    );
    expect(report).toMatchObject({
      status: 'completed',
      summary: {
        list_loaded: false,
        list_version: null,
        screened: 0,
        customers_listed: 0,
        note: 'No sanctions list is loaded: no customer was rescreened.',
      },
    });
  });
});
