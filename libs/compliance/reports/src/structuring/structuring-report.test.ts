import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportRunner } from '../runner/report-runner';
import { createReportLedger, runReportForTest, type ReportLedger } from '../testing';

let database: TestDatabase;
let ledger: ReportLedger;
const ids = { carol: '', dave: '', erin: '' };
const clusters = { carol_usd: [] as string[], carol_eur: [] as string[], dave: [] as string[] };

const at = (instant: string) => new Date(instant);
const PERIOD = { from: '2026-05-01T00:00:00.000Z', to: '2026-05-10T00:00:00.000Z' };

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = createReportLedger(database);
  ids.carol = await ledger.customer();
  ids.dave = await ledger.customer();
  ids.erin = await ledger.customer();
  const carol_usd = await ledger.account(ids.carol);
  const carol_eur = await ledger.account(ids.carol, 'EUR');
  const dave_usd = await ledger.account(ids.dave);
  const dave_eur = await ledger.account(ids.dave, 'EUR');
  const erin_usd = await ledger.account(ids.erin);
  const outFromCarol = (
    amount: string,
    instant: string,
    status?: 'received' | 'held' | 'approved' | 'rejected',
  ) =>
    ledger.attempt({
      source_account_id: carol_usd,
      destination_account_id: dave_usd,
      amount,
      at: at(instant),
      ...(status ? { status } : {}),
    });

  // Carol: a burst the sliding window keeps extending, of every status (a refused attempt counts too).
  clusters.carol_usd.push(
    await outFromCarol('8000.00', '2026-05-01T00:00:00.000Z', 'rejected'), // amount_min exactly
    await outFromCarol('9999.99', '2026-05-01T12:00:00.000Z', 'held'), // amount_max exactly
    await outFromCarol('8500.00', '2026-05-02T00:00:00.000Z'), // 24 h after the first exactly
    await outFromCarol('9000.00', '2026-05-02T11:00:00.000Z', 'received'), // extends the window from 05-01T12:00
  );
  // Two in a day, the third a millisecond too late for the window.
  await outFromCarol('9000.00', '2026-05-05T00:00:00.000Z');
  await outFromCarol('9000.00', '2026-05-05T10:00:00.000Z');
  await outFromCarol('9000.00', '2026-05-06T10:00:00.001Z');
  // Three in an hour, but two amounts are outside 8,000..9,999.99.
  await outFromCarol('7999.99', '2026-05-07T00:00:00.000Z');
  await outFromCarol('10000.00', '2026-05-07T00:20:00.000Z');
  await outFromCarol('8000.00', '2026-05-07T00:40:00.000Z');
  // Currencies are kept apart: two USD and three EUR in the same hours.
  await outFromCarol('9000.00', '2026-05-08T00:00:00.000Z');
  const euro = (instant: string) =>
    ledger.attempt({
      source_account_id: carol_eur,
      destination_account_id: dave_eur,
      amount: '9000.00',
      currency: 'EUR',
      at: at(instant),
    });
  clusters.carol_eur.push(await euro('2026-05-08T01:00:00.000Z'));
  await outFromCarol('9000.00', '2026-05-08T02:00:00.000Z');
  clusters.carol_eur.push(await euro('2026-05-08T03:00:00.000Z'), await euro('2026-05-08T04:00:00.000Z'));

  // Dave: deposits are his own (posted, through the engine); what Carol sent him is hers, not his.
  clusters.dave.push(
    await ledger.deposit(dave_usd, '9500.00', at('2026-05-03T01:00:00.000Z')),
    await ledger.deposit(dave_usd, '9500.00', at('2026-05-03T02:00:00.000Z')),
    await ledger.deposit(dave_usd, '9500.00', at('2026-05-03T03:00:00.000Z')),
  );
  // Reversals are the bank's, whoever's account they leave.
  for (const hour of ['05', '06', '07'])
    await ledger.attempt({
      source_account_id: dave_usd,
      destination_account_id: carol_usd,
      amount: '9000.00',
      kind: 'reversal',
      at: at(`2026-05-04T${hour}:00:00.000Z`),
    });

  // Erin: bursts cut by the period's ends.
  const outFromErin = (instant: string) =>
    ledger.attempt({
      source_account_id: erin_usd,
      destination_account_id: carol_usd,
      amount: '9000.00',
      at: at(instant),
    });
  await outFromErin('2026-04-30T23:00:00.000Z');
  await outFromErin('2026-05-01T00:00:00.000Z');
  await outFromErin('2026-05-01T01:00:00.000Z');
  await outFromErin('2026-05-09T23:00:00.000Z');
  await outFromErin('2026-05-09T23:30:00.000Z');
  await outFromErin('2026-05-10T00:00:00.000Z');
});

afterAll(async () => {
  await database.drop();
});

describe('the structuring report', () => {
  it('lists one row per cluster of one originator in one currency', async () => {
    const { report, rows, columns } = await runReportForTest({
      db: database.db,
      type: 'structuring',
      ...PERIOD,
    });
    expect(columns).toEqual([
      'customer_id',
      'currency',
      'first_at',
      'last_at',
      'transfers',
      'total',
      'transfer_ids',
    ]);
    const expected = [
      {
        customer_id: ids.carol,
        currency: 'EUR',
        first_at: '2026-05-08T01:00:00.000Z',
        last_at: '2026-05-08T04:00:00.000Z',
        transfers: '3',
        total: '27000.0000',
        transfer_ids: clusters.carol_eur.join(' '),
      },
      {
        customer_id: ids.carol,
        currency: 'USD',
        first_at: '2026-05-01T00:00:00.000Z',
        last_at: '2026-05-02T11:00:00.000Z',
        transfers: '4',
        total: '35499.9900',
        transfer_ids: clusters.carol_usd.join(' '),
      },
      {
        customer_id: ids.dave,
        currency: 'USD',
        first_at: '2026-05-03T01:00:00.000Z',
        last_at: '2026-05-03T03:00:00.000Z',
        transfers: '3',
        total: '28500.0000',
        transfer_ids: clusters.dave.join(' '),
      },
    ];
    expect(rows).toEqual(expected);
    expect(report.summary).toEqual({
      clusters: 3,
      customers_flagged: 2,
      transfers: 10,
      rule: { amount_min: '8000', amount_max: '9999.99', transfers_min: 3, window_ms: 86_400_000 },
    });
  });

  it('finds the same clusters reading one row at a time (a cluster spans pages)', async () => {
    const whole = await runReportForTest({ db: database.db, type: 'structuring', ...PERIOD });
    const paged = await runReportForTest({
      db: database.db,
      type: 'structuring',
      ...PERIOD,
      runner: createReportRunner({
        db: database.db,
        sanctions: null,
        customers_page_size: 1,
        rows_page_size: 1,
      }),
    });
    expect(paged.content).toBe(whole.content);
  });

  it('only counts transfers created in the period', async () => {
    // The same data, one day shorter at the start: Carol's burst loses its first transfer and still
    // has three; Erin's April transfer would make three if the period did not cut it off.
    const { rows } = await runReportForTest({
      db: database.db,
      type: 'structuring',
      from: '2026-05-01T00:00:00.001Z',
      to: PERIOD.to,
    });
    expect(rows.map((row) => [row['customer_id'], row['currency'], row['transfers']])).toEqual([
      [ids.carol, 'EUR', '3'],
      [ids.carol, 'USD', '3'],
      [ids.dave, 'USD', '3'],
    ]);
    expect(rows.some((row) => row['customer_id'] === ids.erin)).toBe(false);
  });
});
