import assert from 'node:assert/strict';
import type { Database, Prisma } from '@ledgerline/db';
import { formatAmount } from '@ledgerline/money';
import { toDecimal } from './balance';

/** Page sizes for statements, as in the API contract. */
export const ENTRY_PAGE_LIMITS = Object.freeze({ default: 50, max: 200 });

/** One statement line: a journal entry on the account. */
export interface StatementEntry {
  id: string;
  transfer_id: string;
  direction: 'debit' | 'credit';
  /** Decimal string with the currency's minor units. */
  amount: string;
  /** The account's posted balance right after this entry. */
  balance_after: string;
  description: string | null;
  posted_at: Date;
  /** Position in the account's journal: 1, 2, 3, ... with no gaps. */
  account_sequence: bigint;
}

export interface EntryQuery {
  /** Entries posted at or after this instant. */
  from?: Date | undefined;
  /** Entries posted before this instant. */
  to?: Date | undefined;
  /** 1..200; default 50. */
  limit?: number | undefined;
  /** Keyset: entries with a smaller sequence than this one (newest first). */
  before_sequence?: bigint | undefined;
}

export interface EntryPage {
  entries: StatementEntry[];
  /** The keyset for the next (older) page, or null on the last page. */
  next_before_sequence: bigint | null;
}

/**
 * Reads an account's journal newest first. A page is one backward walk of the unique index
 * (account_id, account_sequence) for `limit + 1` rows, so it costs the same at entry 10 and at entry
 * 10,000,000. A time window first becomes a sequence window, with one probe of the (account_id,
 * posted_at) index per bound: `posted_at` never decreases along an account's sequence (the posting
 * engine writes an account's entries under its row lock), so the newest entry before `to` and the
 * oldest at or after `from` bound the range. The posted_at conditions stay as a guard.
 */
export async function readEntries(
  db: Database,
  account: { id: string; currency: string },
  query: EntryQuery,
): Promise<EntryPage> {
  const limit = query.limit ?? ENTRY_PAGE_LIMITS.default;
  assert.ok(
    Number.isInteger(limit) && limit >= 1 && limit <= ENTRY_PAGE_LIMITS.max,
    `readEntries: limit ${limit} out of range`,
  );
  const empty: EntryPage = { entries: [], next_before_sequence: null };
  const sequence: Prisma.BigIntFilter<'JournalEntry'> = {};
  const postedAt: Prisma.DateTimeFilter<'JournalEntry'> = {};
  if (query.to !== undefined) {
    const newest = await db.journalEntry.findFirst({
      where: { accountId: account.id, postedAt: { lt: query.to } },
      orderBy: [{ postedAt: 'desc' }, { accountSequence: 'desc' }],
      select: { accountSequence: true },
    });
    if (newest === null) return empty;
    sequence.lte = newest.accountSequence;
    postedAt.lt = query.to;
  }
  if (query.from !== undefined) {
    const oldest = await db.journalEntry.findFirst({
      where: { accountId: account.id, postedAt: { gte: query.from } },
      orderBy: [{ postedAt: 'asc' }, { accountSequence: 'asc' }],
      select: { accountSequence: true },
    });
    if (oldest === null) return empty;
    sequence.gte = oldest.accountSequence;
    postedAt.gte = query.from;
  }
  if (query.before_sequence !== undefined) sequence.lt = query.before_sequence;
  const rows = await db.journalEntry.findMany({
    where: {
      accountId: account.id,
      ...(Object.keys(sequence).length > 0 ? { accountSequence: sequence } : {}),
      ...(Object.keys(postedAt).length > 0 ? { postedAt } : {}),
    },
    orderBy: { accountSequence: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    entries: page.map((row) => ({
      id: row.id,
      transfer_id: row.transferId,
      direction: row.direction,
      amount: formatAmount(toDecimal(row.amount), account.currency),
      balance_after: formatAmount(toDecimal(row.balanceAfter), account.currency),
      description: row.description,
      posted_at: row.postedAt,
      account_sequence: row.accountSequence,
    })),
    next_before_sequence: rows.length > limit && last !== undefined ? last.accountSequence : null,
  };
}

/**
 * The posted balance (credits - debits) as of `as_of`: the `balance_after` of the newest entry posted
 * at or before it, zero when there is none. Served by the (account_id, posted_at) index.
 */
export async function readPostedBalanceAsOf(db: Database, account_id: string, as_of: Date): Promise<string> {
  const row = await db.journalEntry.findFirst({
    where: { accountId: account_id, postedAt: { lte: as_of } },
    orderBy: [{ postedAt: 'desc' }, { accountSequence: 'desc' }],
    select: { balanceAfter: true },
  });
  return row === null ? '0' : row.balanceAfter.toFixed();
}
