/**
 * Test helpers for reports: a ledger built with the real posting engine at chosen instants, and a
 * test-only {@link SanctionsRescreen} that sets `customers.sanctions_status` on real rows. For tests
 * against a database from `createTestDatabase()`.
 */
import { parse } from 'csv-parse/sync';
import type { Database } from '@ledgerline/db';
import { createPostingEngine } from '@ledgerline/ledger';
import { createLedgerFixtures, type LedgerFixtures } from '@ledgerline/ledger/testing';
import type pg from 'pg';
import { createReportService } from '../report/report.service';
import type { Report, ReportType } from '../report/report.types';
import { createReportRunner, type ReportRunner } from '../runner/report-runner';
import type { SanctionsRescreen } from '../sanctions/sanctions-rescreen';

/** Account rows start this far back, so the engine may post at any later instant a test names. */
const LONG_AGO = '2000-01-01T00:00:00.000Z';

export interface ReportLedger {
  fixtures: LedgerFixtures;
  customer(): Promise<string>;
  /** A customer's checking account. */
  account(customer_id: string, currency?: string): Promise<string>;
  /** Posts a deposit into the account at `at` (created and posted then); returns the transfer id. */
  deposit(account_id: string, amount: string, at: Date, currency?: string): Promise<string>;
  /** Posts a withdrawal out of the account at `at`. */
  withdraw(account_id: string, amount: string, at: Date, currency?: string): Promise<string>;
  /** Posts a transfer between two accounts at `at`. */
  transfer(
    source_account_id: string,
    destination_account_id: string,
    amount: string,
    at: Date,
    currency?: string,
  ): Promise<string>;
  /** A transfer row created at `at` and left in `status` (not posted): what structuring also counts. */
  attempt(options: {
    source_account_id: string;
    destination_account_id: string;
    amount: string;
    at: Date;
    currency?: string;
    kind?: 'transfer' | 'deposit' | 'withdrawal' | 'reversal';
    status?: 'received' | 'held' | 'approved' | 'rejected';
  }): Promise<string>;
  /** The currency's settlement account. */
  settlement(currency?: string): Promise<string>;
}

/**
 * A ledger whose postings happen at the instants a test names, through the real posting engine (with
 * its clock set to the instant). The engine never lets an account's entries go back in time, so post
 * in time order per account (every deposit and withdrawal of a currency shares its settlement
 * account); a posting the engine moved later throws, so a test cannot silently get other instants.
 */
export function createReportLedger(database: { pool: pg.Pool; db: Database }): ReportLedger {
  const { pool } = database;
  const fixtures = createLedgerFixtures(database);
  let now = new Date(LONG_AGO);
  const engine = createPostingEngine({ db: database.db, batch_size_max: 1, clock: () => now });
  const backdated = new Set<string>();

  async function backdate(account_id: string): Promise<string> {
    if (!backdated.has(account_id)) {
      await pool.query(
        `UPDATE accounts SET created_at = $2, updated_at = $2 WHERE id = $1 AND last_entry_sequence = 0`,
        [account_id, LONG_AGO],
      );
      backdated.add(account_id);
    }
    return account_id;
  }

  async function settlement(currency = 'USD'): Promise<string> {
    return backdate(await fixtures.settlementAccount(currency));
  }

  async function createdAt(transfer_id: string, at: Date): Promise<string> {
    await pool.query(`UPDATE transfers SET created_at = $2, updated_at = $2 WHERE id = $1`, [
      transfer_id,
      at,
    ]);
    return transfer_id;
  }

  async function post(
    kind: 'transfer' | 'deposit' | 'withdrawal',
    source_account_id: string,
    destination_account_id: string,
    amount: string,
    at: Date,
    currency: string,
  ): Promise<string> {
    const id = await createdAt(
      await fixtures.transfer({ kind, source_account_id, destination_account_id, amount, currency }),
      at,
    );
    now = at;
    const [result] = await engine.advance([id]);
    if (result?.status !== 'posted')
      throw new Error(`posting ${kind} ${id} failed: ${JSON.stringify(result)}`);
    const { posted_at } = await fixtures.readTransfer(id);
    if (posted_at?.getTime() !== at.getTime())
      throw new Error(
        `${kind} ${id} was posted at ${posted_at?.toISOString()}, not ${at.toISOString()}: post in time order`,
      );
    return id;
  }

  return {
    fixtures,
    settlement,
    customer: () => fixtures.customer(),
    account: async (customer_id, currency = 'USD') =>
      backdate(await fixtures.account({ customer_id, currency })),
    deposit: async (account_id, amount, at, currency = 'USD') =>
      post('deposit', await settlement(currency), account_id, amount, at, currency),
    withdraw: async (account_id, amount, at, currency = 'USD') =>
      post('withdrawal', account_id, await settlement(currency), amount, at, currency),
    transfer: (source, destination, amount, at, currency = 'USD') =>
      post('transfer', source, destination, amount, at, currency),
    async attempt(options) {
      const id = await fixtures.transfer({
        kind: options.kind ?? 'transfer',
        source_account_id: options.source_account_id,
        destination_account_id: options.destination_account_id,
        amount: options.amount,
        currency: options.currency ?? 'USD',
        status: options.status ?? 'approved',
      });
      return createdAt(id, options.at);
    },
  };
}

export type TestSanctionsStatus = 'clear' | 'potential_match' | 'confirmed_match';

export interface TestRescreener extends SanctionsRescreen {
  /** The list versions `rescreenAll` was called with, in order. */
  readonly calls: number[];
}

/**
 * A test-only rescreening: with `list_version` null no list is loaded; otherwise `rescreenAll` walks
 * every customer in pages of `page_size` (default 2) and sets its status from `statuses` (clear when
 * absent), reporting progress after each page. No names are matched: tests decide who is listed.
 */
export function createTestRescreener(options: {
  pool: pg.Pool;
  list_version: number | null;
  statuses: Readonly<Record<string, TestSanctionsStatus>>;
  page_size?: number;
}): TestRescreener {
  const calls: number[] = [];
  const page_size = options.page_size ?? 2;
  return {
    calls,
    async latestListVersion() {
      return options.list_version;
    },
    async rescreenAll(list_version, rescreen = {}) {
      calls.push(list_version);
      const counts = { screened: 0, clear: 0, potential_match: 0, confirmed_match: 0 };
      const { rows: total } = await options.pool.query<{ customers: number }>(
        `SELECT count(*)::int AS customers FROM customers`,
      );
      let after = '00000000-0000-0000-0000-000000000000';
      for (;;) {
        const { rows } = await options.pool.query<{ id: string }>(
          `SELECT id::text AS id FROM customers WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, page_size],
        );
        for (const { id } of rows) {
          const status = options.statuses[id] ?? 'clear';
          await options.pool.query(
            `UPDATE customers SET sanctions_status = $2::sanctions_status WHERE id = $1`,
            [id, status],
          );
          counts.screened += 1;
          counts[status] += 1;
        }
        if (rows.length > 0) await rescreen.on_progress?.(counts.screened, total[0]?.customers ?? 0);
        if (rows.length < page_size) return counts;
        after = rows.at(-1)!.id;
      }
    },
  };
}

export interface ReportForTest {
  report: Report;
  /** The CSV's header line, split. */
  columns: string[];
  /** Each data row as an object keyed by column. */
  rows: Array<Record<string, string>>;
  content: string;
}

/**
 * Requests a report as the API does, runs it with `runner` (or one on the default options), and
 * reads it back as a client would: the report, and its download parsed with csv-parse.
 */
export async function runReportForTest(options: {
  db: Database;
  type: ReportType;
  from: string;
  to: string;
  runner?: ReportRunner;
  sanctions?: SanctionsRescreen | null;
}): Promise<ReportForTest> {
  const service = createReportService({ db: options.db });
  const runner =
    options.runner ?? createReportRunner({ db: options.db, sanctions: options.sanctions ?? null });
  const requested = await service.request({
    type: options.type,
    from: options.from,
    to: options.to,
    requested_by: 'test-compliance',
    request_id: 'req-report-test',
  });
  if (!requested.ok) throw new Error(`the report request was refused: ${JSON.stringify(requested)}`);
  const result = await runner.run(requested.value.id);
  if (result.outcome !== 'completed')
    throw new Error(`the report did not complete: ${JSON.stringify(result)}`);
  const report = await service.get(requested.value.id);
  const download = await service.download(requested.value.id);
  if (report === null || !download.ok) throw new Error('the completed report cannot be read back');
  const [columns = [], ...records] = parse(download.value.content, {
    columns: false,
    relax_column_count: false,
  }) as string[][];
  return {
    report,
    columns,
    rows: records.map((record) =>
      Object.fromEntries(columns.map((column, index) => [column, record[index] ?? ''])),
    ),
    content: download.value.content,
  };
}
