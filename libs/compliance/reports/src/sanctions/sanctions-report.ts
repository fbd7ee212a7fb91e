import { Prisma } from '@ledgerline/db';
import { Decimal, formatAmount } from '@ledgerline/money';
import type { SanctionsRescreenSummary } from '../report/report.types';
import type { ReportContext, ReportDefinition } from '../runner/report-context';
import type { SanctionsRescreen } from './sanctions-rescreen';

interface ListedRow {
  customer_id: string;
  sanctions_status: string;
  /** Null for a listed customer without transfers in the period. */
  currency: string | null;
  transfers: number;
  /** NUMERIC text. */
  total: string;
  posted_transfers: number;
  posted_total: string;
}

export const SANCTIONS_RESCREEN_COLUMNS = [
  'customer_id',
  'sanctions_status',
  'currency',
  'transfers',
  'total',
  'posted_transfers',
  'posted_total',
] as const;

/** Share of the progress bar the rescreening takes; listing the customers takes the rest. */
const RESCREEN_SHARE = 0.8;

/**
 * The sanctions rescreen report: rescreens every customer against the newest sanctions list, then lists
 * each customer whose status is not clear, with the transfers (created in the period, any status) they
 * were party to as the owner of the source or the destination account: one row per customer and
 * currency (`transfers` and `total` over every status; `posted_*` over posted ones, at the amount
 * posted), or one row with no currency for a customer without transfers. With no list loaded nothing
 * is rescreened or listed, and the summary says so.
 */
export function sanctionsRescreenReport(
  sanctions: SanctionsRescreen,
): ReportDefinition<SanctionsRescreenSummary> {
  return {
    columns: SANCTIONS_RESCREEN_COLUMNS,

    async run(context) {
      const list_version = await sanctions.latestListVersion();
      if (list_version === null) {
        return {
          list_loaded: false,
          list_version: null,
          screened: 0,
          clear: 0,
          potential_match: 0,
          confirmed_match: 0,
          customers_listed: 0,
          transfers: 0,
          totals: {},
          note: 'No sanctions list is loaded: no customer was rescreened.',
        };
      }
      const counts = await sanctions.rescreenAll(list_version, {
        on_progress: (screened, total) =>
          context.progress(
            total === 0 ? RESCREEN_SHARE : (RESCREEN_SHARE * Math.min(screened, total)) / total,
          ),
      });
      await context.progress(RESCREEN_SHARE);

      const [flagged] = await context.db.$queryRaw<Array<{ customers: number }>>`
        SELECT count(*)::int AS customers FROM customers WHERE sanctions_status <> 'clear'`;
      const flagged_total = flagged?.customers ?? 0;
      const totals = new Map<string, Decimal>();
      let listed = 0;
      let transfers = 0;
      let after: string | null = null;
      for (;;) {
        const page = await readListedPage(context, after);
        context.csv.write(
          page.rows.map((row) => [
            row.customer_id,
            row.sanctions_status,
            row.currency,
            row.transfers,
            row.total,
            row.posted_transfers,
            row.posted_total,
          ]),
        );
        for (const row of page.rows) {
          transfers += row.transfers;
          if (row.currency !== null)
            totals.set(row.currency, (totals.get(row.currency) ?? new Decimal(0)).plus(row.total));
        }
        listed += page.customers;
        await context.progress(
          RESCREEN_SHARE +
            (1 - RESCREEN_SHARE) * (flagged_total === 0 ? 1 : Math.min(1, listed / flagged_total)),
        );
        if (page.last === null || page.customers < context.pages.customers) break;
        after = page.last;
      }
      return {
        list_loaded: true,
        list_version,
        ...counts,
        customers_listed: listed,
        transfers,
        totals: Object.fromEntries(
          [...totals]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([currency, total]) => [currency, formatAmount(total, currency)]),
        ),
        note: null,
      };
    },
  };
}

/**
 * One keyset page of customers that are not clear, each with its transfers in the period grouped by
 * currency. A transfer between two accounts of one customer counts once (`UNION`, not `UNION ALL`).
 */
async function readListedPage(
  context: ReportContext,
  after: string | null,
): Promise<{ rows: ListedRow[]; customers: number; last: string | null }> {
  const { from, to } = context.period;
  const party = (account_column: Prisma.Sql) => Prisma.sql`
    SELECT f.id AS customer_id, t.id AS transfer_id, t.currency, t.amount, t.status, t.captured_amount
      FROM flagged f
      JOIN accounts a ON a.customer_id = f.id
      JOIN transfers t ON ${account_column} = a.id
     WHERE t.created_at >= ${from}::timestamptz AND t.created_at < ${to}::timestamptz`;
  const rows = await context.db.$queryRaw<ListedRow[]>(Prisma.sql`
    WITH flagged AS (
           SELECT id, sanctions_status FROM customers
            WHERE sanctions_status <> 'clear' ${after === null ? Prisma.empty : Prisma.sql`AND id > ${after}::uuid`}
            ORDER BY id
            LIMIT ${context.pages.customers}),
         party AS (
           ${party(Prisma.raw('t.source_account_id'))}
           UNION
           ${party(Prisma.raw('t.destination_account_id'))})
    SELECT f.id::text AS customer_id, f.sanctions_status::text AS sanctions_status, p.currency::text AS currency,
           count(p.transfer_id)::int AS transfers,
           coalesce(sum(p.amount), 0.0000)::text AS total,
           count(p.transfer_id) FILTER (WHERE p.status = 'posted')::int AS posted_transfers,
           coalesce(sum(coalesce(p.captured_amount, p.amount)) FILTER (WHERE p.status = 'posted'), 0.0000)::text AS posted_total
      FROM flagged f
      LEFT JOIN party p ON p.customer_id = f.id
     GROUP BY f.id, f.sanctions_status, p.currency
     ORDER BY f.id, p.currency::text NULLS FIRST`);
  const customers = new Set(rows.map((row) => row.customer_id));
  return { rows, customers: customers.size, last: rows.at(-1)?.customer_id ?? null };
}
