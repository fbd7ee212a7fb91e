import assert from 'node:assert/strict';
import type { Database } from '@ledgerline/db';
import type { EntryDirection } from '@ledgerline/ledger-domain';
import { Decimal, formatAmount } from '@ledgerline/money';
import { failure, success, type Outcome } from '../result';
import { decodeEntriesCursor, encodeEntriesCursor } from './cursor';

export const ENTRIES_PAGE_LIMIT_MAX = 200;

/** Why a statement or balance query failed: no such account, or a cursor this API did not write. */
export const LEDGER_QUERY_ERRORS = ['not_found', 'invalid_cursor'] as const;
export type LedgerQueryError = (typeof LEDGER_QUERY_ERRORS)[number];

export interface ListEntriesQuery {
  account_id: string;
  /** Entries posted at or after this instant. */
  from?: Date | null;
  /** Entries posted before this instant (exclusive, so consecutive periods never overlap). */
  to?: Date | null;
  /** 1..200. */
  limit: number;
  cursor?: string | null;
}

/** A statement line as the API returns it; amounts carry the currency's minor units. */
export interface StatementEntry {
  id: string;
  transfer_id: string;
  direction: EntryDirection;
  amount: string;
  balance_after: string;
  currency: string;
  description: string | null;
  /** ISO 8601 UTC with milliseconds. */
  posted_at: string;
  /** The entry's position on its account: 1, 2, 3, ... without gaps. */
  account_sequence: string;
}

export interface EntriesPage {
  data: StatementEntry[];
  next_cursor: string | null;
}

/**
 * A balance at an instant. At or after the present it is the account row itself. In the past only the
 * posted balance is known, from the newest journal entry at or before `as_of` (zero before the first
 * one): holds write no journal entries, so pending amounts at a past instant are not recorded anywhere
 * and are returned as `null`, as is `available`, which depends on them.
 */
export interface BalanceAsOf {
  posted: string;
  pending_debits: string | null;
  pending_credits: string | null;
  available: string | null;
  /** ISO 8601 UTC with milliseconds. */
  as_of: string;
}

export interface LedgerReader {
  /** Statement lines, newest first, keyset-paginated on the account's entry sequence. */
  listEntries(query: ListEntriesQuery): Promise<Outcome<EntriesPage, LedgerQueryError>>;
  /** The balance at `as_of` (see {@link BalanceAsOf} for what is known about the past). */
  balanceAsOf(account_id: string, as_of: Date): Promise<Outcome<BalanceAsOf, 'not_found'>>;
}

export interface LedgerReaderOptions {
  db: Database;
  /** Decides whether `as_of` is in the past; tests move it. */
  clock?: () => Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface EntryRow {
  id: string;
  transfer_id: string;
  direction: EntryDirection;
  amount: string;
  balance_after: string;
  currency: string;
  description: string | null;
  posted_at: Date;
  account_sequence: string;
}

/**
 * Reads statements and past balances from the journal. Every query walks the unique index
 * (account_id, account_sequence) or the index (account_id, posted_at) for a bounded number of rows,
 * so a page costs the same at entry 10 and at entry 10,000,000.
 */
export function createLedgerReader(options: LedgerReaderOptions): LedgerReader {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());

  async function accountExists(accountId: string): Promise<boolean> {
    const rows = await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM accounts WHERE id = $1::uuid`, accountId);
    return rows.length === 1;
  }

  return {
    async listEntries(query) {
      assert.ok(
        Number.isInteger(query.limit) && query.limit >= 1 && query.limit <= ENTRIES_PAGE_LIMIT_MAX,
        `limit must be 1..${ENTRIES_PAGE_LIMIT_MAX}`,
      );
      if (!UUID.test(query.account_id)) return failure('not_found', 'No such account.');
      const accountId = query.account_id.toLowerCase();
      const cursor = query.cursor ? decodeEntriesCursor(query.cursor) : null;
      if (query.cursor && (cursor === null || cursor.account_id !== accountId)) {
        return failure('invalid_cursor', 'The cursor is not valid for this list.');
      }

      const statement = entriesStatement(accountId, query, cursor?.account_sequence ?? null);
      const rows = await db.$queryRawUnsafe<EntryRow[]>(statement.sql, ...statement.parameters);
      if (rows.length === 0 && !(await accountExists(accountId)))
        return failure('not_found', 'No such account.');

      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return success({
        data: page.map(toStatementEntry),
        next_cursor:
          rows.length > query.limit && last !== undefined
            ? encodeEntriesCursor({ account_id: accountId, account_sequence: BigInt(last.account_sequence) })
            : null,
      });
    },

    async balanceAsOf(accountId, asOf) {
      if (!UUID.test(accountId)) return failure('not_found', 'No such account.');
      const rows = await db.$queryRawUnsafe<
        Array<{
          currency: string;
          posted_debits: string;
          posted_credits: string;
          pending_debits: string;
          pending_credits: string;
          overdraft_limit: string;
          posted_as_of: string | null;
        }>
      >(
        `SELECT a.currency::text AS currency, a.posted_debits::text AS posted_debits,
                a.posted_credits::text AS posted_credits, a.pending_debits::text AS pending_debits,
                a.pending_credits::text AS pending_credits, a.overdraft_limit::text AS overdraft_limit,
                (SELECT e.balance_after::text FROM journal_entries e
                  WHERE e.account_id = a.id AND e.posted_at <= $2::timestamptz
                  ORDER BY e.posted_at DESC, e.account_sequence DESC LIMIT 1) AS posted_as_of
           FROM accounts a
          WHERE a.id = $1::uuid`,
        accountId,
        asOf.toISOString(),
      );
      const row = rows[0];
      if (row === undefined) return failure('not_found', 'No such account.');
      const money = (value: Decimal) => formatAmount(value, row.currency);

      if (asOf.getTime() >= clock().getTime()) {
        const posted = new Decimal(row.posted_credits).minus(row.posted_debits);
        return success({
          posted: money(posted),
          pending_debits: money(new Decimal(row.pending_debits)),
          pending_credits: money(new Decimal(row.pending_credits)),
          available: money(posted.minus(row.pending_debits).plus(row.overdraft_limit)),
          as_of: asOf.toISOString(),
        });
      }
      return success({
        posted: money(new Decimal(row.posted_as_of ?? 0)),
        pending_debits: null,
        pending_credits: null,
        available: null,
        as_of: asOf.toISOString(),
      });
    },
  };
}

/**
 * The statement query for one page (exported for the plan test). A time window becomes a sequence
 * window through one probe of the (account_id, posted_at) index per bound: posted_at never decreases
 * along an account's sequence (the engine sees to that), so the newest entry before `to` and the
 * oldest at or after `from` bound the range, and the page is one backward walk of the unique index
 * (account_id, account_sequence). The posted_at conditions stay too, a guard that costs nothing there.
 */
export function entriesStatement(
  accountId: string,
  query: Pick<ListEntriesQuery, 'from' | 'to' | 'limit'>,
  beforeSequence: bigint | null,
): { sql: string; parameters: unknown[] } {
  const parameters: unknown[] = [accountId, query.limit + 1];
  const conditions = ['e.account_id = $1::uuid'];
  const parameter = (value: unknown) => `$${parameters.push(value)}`;
  if (beforeSequence !== null)
    conditions.push(`e.account_sequence < ${parameter(beforeSequence.toString())}::bigint`);
  if (query.to) {
    const to = parameter(query.to.toISOString());
    conditions.push(
      `e.posted_at < ${to}::timestamptz`,
      `e.account_sequence <= coalesce((SELECT b.account_sequence FROM journal_entries b
          WHERE b.account_id = $1::uuid AND b.posted_at < ${to}::timestamptz
          ORDER BY b.posted_at DESC, b.account_sequence DESC LIMIT 1), 0)`,
    );
  }
  if (query.from) {
    const from = parameter(query.from.toISOString());
    conditions.push(
      `e.posted_at >= ${from}::timestamptz`,
      `e.account_sequence >= coalesce((SELECT b.account_sequence FROM journal_entries b
          WHERE b.account_id = $1::uuid AND b.posted_at >= ${from}::timestamptz
          ORDER BY b.posted_at, b.account_sequence LIMIT 1), 9223372036854775807)`,
    );
  }
  return {
    sql: `SELECT e.id::text AS id, e.transfer_id::text AS transfer_id, e.direction::text AS direction,
                 e.amount::text AS amount, e.balance_after::text AS balance_after, e.currency::text AS currency,
                 e.description, e.posted_at, e.account_sequence::text AS account_sequence
            FROM journal_entries e
           WHERE ${conditions.join(' AND ')}
           ORDER BY e.account_sequence DESC
           LIMIT $2`,
    parameters,
  };
}

function toStatementEntry(row: EntryRow): StatementEntry {
  return {
    id: row.id,
    transfer_id: row.transfer_id,
    direction: row.direction,
    amount: formatAmount(row.amount, row.currency),
    balance_after: formatAmount(row.balance_after, row.currency),
    currency: row.currency,
    description: row.description,
    posted_at: row.posted_at.toISOString(),
    account_sequence: row.account_sequence,
  };
}
