import { Prisma, type Database } from '@ledgerline/db';

/**
 * Customers `(after, last]` in id order: a report reads the accounts and transfers of one such range
 * at a time, through the indexes on `accounts(customer_id)` and `transfers(source|destination_account_id)`.
 */
export interface CustomerRange {
  /** Exclusive lower bound; null for the first range. */
  after: string | null;
  /** Inclusive upper bound. */
  last: string;
  /** Customers in the range. */
  customers: number;
}

/** Walks every customer in keyset pages of `page_size` ids. */
export async function* customerRanges(db: Database, page_size: number): AsyncGenerator<CustomerRange> {
  let after: string | null = null;
  for (;;) {
    const rows: Array<{ id: string }> = await db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
      SELECT id::text AS id FROM customers
       ${after === null ? Prisma.empty : Prisma.sql`WHERE id > ${after}::uuid`}
       ORDER BY id
       LIMIT ${page_size}`);
    const last = rows.at(-1)?.id;
    if (last === undefined) return;
    yield { after, last, customers: rows.length };
    if (rows.length < page_size) return;
    after = last;
  }
}

/**
 * The condition "this customer id is in the range", for a column such as `a.customer_id`. Built
 * without `$1 IS NULL OR ...`, so that a prepared statement's generic plan still seeks the index.
 */
export function inCustomerRange(column: Prisma.Sql, range: CustomerRange): Prisma.Sql {
  const upper = Prisma.sql`${column} <= ${range.last}::uuid`;
  return range.after === null ? upper : Prisma.sql`${column} > ${range.after}::uuid AND ${upper}`;
}

/** How many customers there are now, to turn ranges done into progress. */
export async function countCustomers(db: Database): Promise<number> {
  const [row] = await db.$queryRaw<
    Array<{ customers: number }>
  >`SELECT count(*)::int AS customers FROM customers`;
  return row?.customers ?? 0;
}

/** Reports progress over customer ranges; the count may be a little off when customers are added meanwhile. */
export function rangeProgress(total: number, progress: (fraction: number) => Promise<void>) {
  let done = 0;
  return async (range: CustomerRange) => {
    done += range.customers;
    await progress(total === 0 ? 1 : Math.min(1, done / total));
  };
}
