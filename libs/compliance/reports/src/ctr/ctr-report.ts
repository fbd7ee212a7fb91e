import { Prisma } from '@ledgerline/db';
import { Decimal, formatAmount } from '@ledgerline/money';
import type { CtrSummary } from '../report/report.types';
import {
  countCustomers,
  customerRanges,
  inCustomerRange,
  rangeProgress,
  type CustomerRange,
} from '../runner/customer-ranges';
import type { ReportContext, ReportDefinition } from '../runner/report-context';

interface CtrRow {
  customer_id: string;
  day: string;
  currency: string;
  /** NUMERIC text. */
  cash_in: string;
  cash_out: string;
  deposits: number;
  withdrawals: number;
}

/** Where the last page of a range stopped: the keyset of (customer, day, currency). */
type CtrCursor = Pick<CtrRow, 'customer_id' | 'day' | 'currency'>;

const DAY = Prisma.raw(`to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`);
const CASH_IN = Prisma.raw(`coalesce(sum(e.amount) FILTER (WHERE t.kind = 'deposit'), 0.0000)`);
const CASH_OUT = Prisma.raw(`coalesce(sum(e.amount) FILTER (WHERE t.kind = 'withdrawal'), 0.0000)`);

/**
 * The currency transaction report: for each customer, UTC day and currency, the cash the customer
 * moved, listed when the day's cash in or its cash out reaches `ctr_amount_min` (each on its own, as
 * the rule reads; they are never netted). Cash is what deposits posted into the customer's accounts and
 * withdrawals posted out of them, by the entries' `posted_at` in the period; the amounts are the
 * posted entries' (a captured hold counts what was captured). Rows are in customer, day, currency order.
 */
export const ctrReport: ReportDefinition<CtrSummary> = {
  columns: ['date', 'customer_id', 'currency', 'cash_in', 'cash_out', 'deposits', 'withdrawals'],

  async run(context) {
    const amount_min = context.thresholds.ctr_amount_min;
    const totals = new Map<string, { cash_in: Decimal; cash_out: Decimal }>();
    const customers = new Set<string>();
    const rangeDone = rangeProgress(await countCustomers(context.db), context.progress);
    for await (const range of customerRanges(context.db, context.pages.customers)) {
      let cursor: CtrCursor | null = null;
      for (;;) {
        const rows = await readCtrPage(context, range, cursor, amount_min);
        context.csv.write(
          rows.map((row) => [
            row.day,
            row.customer_id,
            row.currency,
            row.cash_in,
            row.cash_out,
            row.deposits,
            row.withdrawals,
          ]),
        );
        for (const row of rows) {
          customers.add(row.customer_id);
          const total = totals.get(row.currency) ?? { cash_in: new Decimal(0), cash_out: new Decimal(0) };
          totals.set(row.currency, {
            cash_in: total.cash_in.plus(row.cash_in),
            cash_out: total.cash_out.plus(row.cash_out),
          });
        }
        if (rows.length < context.pages.rows) break;
        cursor = rows.at(-1) ?? null;
      }
      await rangeDone(range);
    }
    return {
      rows: context.csv.rows,
      customers: customers.size,
      amount_min: amount_min.toString(),
      totals: Object.fromEntries(
        [...totals]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([currency, total]) => [
            currency,
            {
              cash_in: formatAmount(total.cash_in, currency),
              cash_out: formatAmount(total.cash_out, currency),
            },
          ]),
      ),
    };
  },
};

/** One page of reportable customer-days of a range, through `journal_entries(account_id, posted_at)`. */
function readCtrPage(
  context: ReportContext,
  range: CustomerRange,
  cursor: CtrCursor | null,
  amount_min: Decimal,
): Promise<CtrRow[]> {
  const after =
    cursor === null
      ? Prisma.empty
      : Prisma.sql`AND (a.customer_id, ${DAY}, e.currency::text) > (${cursor.customer_id}::uuid, ${cursor.day}::text, ${cursor.currency}::text)`;
  return context.db.$queryRaw<CtrRow[]>(Prisma.sql`
    SELECT a.customer_id::text AS customer_id, ${DAY} AS day, e.currency::text AS currency,
           ${CASH_IN}::text AS cash_in, ${CASH_OUT}::text AS cash_out,
           count(*) FILTER (WHERE t.kind = 'deposit')::int AS deposits,
           count(*) FILTER (WHERE t.kind = 'withdrawal')::int AS withdrawals
      FROM accounts a
      JOIN journal_entries e ON e.account_id = a.id
      JOIN transfers t ON t.id = e.transfer_id
     WHERE ${inCustomerRange(Prisma.raw('a.customer_id'), range)}
       AND e.posted_at >= ${context.period.from}::timestamptz AND e.posted_at < ${context.period.to}::timestamptz
       AND ((t.kind = 'deposit' AND e.direction = 'credit') OR (t.kind = 'withdrawal' AND e.direction = 'debit'))
       ${after}
     GROUP BY a.customer_id, ${DAY}, e.currency
    HAVING ${CASH_IN} >= ${amount_min.toString()}::numeric OR ${CASH_OUT} >= ${amount_min.toString()}::numeric
     ORDER BY a.customer_id, ${DAY}, e.currency
     LIMIT ${context.pages.rows}`);
}
