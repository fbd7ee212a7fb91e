import assert from 'node:assert/strict';
import { Prisma } from '@ledgerline/db';
import type { StructuringSummary } from '../report/report.types';
import {
  countCustomers,
  customerRanges,
  inCustomerRange,
  rangeProgress,
  type CustomerRange,
} from '../runner/customer-ranges';
import type { ReportContext, ReportDefinition } from '../runner/report-context';
import { ClusterDetector, type Cluster } from './clusters';

interface CandidateRow {
  customer_id: string;
  currency: string;
  created_at: Date;
  id: string;
}

/** A cluster found, waiting for its total (summed by Postgres, so it is NUMERIC text like every amount). */
interface FoundCluster {
  customer_id: string;
  currency: string;
  transfers: CandidateRow[];
}

/**
 * The structuring report: originators with at least `structuring.transfers_min` transfers, each of an
 * amount between `structuring.amount_min` and `structuring.amount_max` (inclusive), within any window
 * of `structuring.window_ms` (first to last, inclusive), created in the period. One row per cluster
 * (see {@link ClusterDetector}) of one customer in one currency.
 *
 * The originator is the source account's customer, or for a deposit the destination's (as screening
 * reads it). Transfers of every status count, since an attempt the bank refused is as telling as one
 * it posted; reversals do not, since the bank, not the customer, originates them.
 */
export const structuringReport: ReportDefinition<StructuringSummary> = {
  columns: ['customer_id', 'currency', 'first_at', 'last_at', 'transfers', 'total', 'transfer_ids'],

  async run(context) {
    const rule = context.thresholds.structuring;
    const found: FoundCluster[] = [];
    let key: string | null = null;
    let current: Pick<FoundCluster, 'customer_id' | 'currency'> = { customer_id: '', currency: '' };
    const detector = new ClusterDetector<CandidateRow>(rule, (cluster: Cluster<CandidateRow>) =>
      found.push({ ...current, transfers: cluster.transfers }),
    );
    const customers = new Set<string>();
    let clusters = 0;
    let transfers = 0;
    const writeFound = async () => {
      const rows = await withTotals(context, found.splice(0));
      context.csv.write(rows);
      for (const row of rows) {
        customers.add(row[0]);
        clusters += 1;
        transfers += row[4];
      }
    };

    const rangeDone = rangeProgress(await countCustomers(context.db), context.progress);
    for await (const range of customerRanges(context.db, context.pages.customers)) {
      let cursor: CandidateRow | null = null;
      for (;;) {
        const rows = await readCandidatePage(context, range, cursor);
        for (const row of rows) {
          const row_key = `${row.customer_id}/${row.currency}`;
          if (row_key !== key) {
            // Emits the previous customer's (or currency's) cluster in progress before starting anew.
            detector.reset();
            key = row_key;
            current = { customer_id: row.customer_id, currency: row.currency };
          }
          detector.push(row);
        }
        if (found.length > 0) await writeFound();
        if (rows.length < context.pages.rows) break;
        cursor = rows.at(-1) ?? null;
      }
      await rangeDone(range);
    }
    detector.flush();
    if (found.length > 0) await writeFound();
    return {
      clusters,
      customers_flagged: customers.size,
      transfers,
      rule: {
        amount_min: rule.amount_min.toString(),
        amount_max: rule.amount_max.toString(),
        transfers_min: rule.transfers_min,
        window_ms: rule.window_ms,
      },
    };
  },
};

/**
 * One page of a range's candidates in (customer, currency, created_at, id) order: transfers out of the
 * customers' accounts (and deposits into them) whose amount is in the rule's range.
 */
function readCandidatePage(
  context: ReportContext,
  range: CustomerRange,
  cursor: CandidateRow | null,
): Promise<CandidateRow[]> {
  const { amount_min, amount_max } = context.thresholds.structuring;
  const candidates = (account_column: Prisma.Sql, kinds: Prisma.Sql) => Prisma.sql`
    SELECT a.customer_id, t.currency::text AS currency, t.created_at, t.id
      FROM accounts a
      JOIN transfers t ON ${account_column} = a.id
     WHERE ${inCustomerRange(Prisma.raw('a.customer_id'), range)}
       AND t.kind IN (${kinds})
       AND t.created_at >= ${context.period.from}::timestamptz AND t.created_at < ${context.period.to}::timestamptz
       AND t.amount >= ${amount_min.toString()}::numeric AND t.amount <= ${amount_max.toString()}::numeric`;
  const after =
    cursor === null
      ? Prisma.empty
      : Prisma.sql`WHERE (c.customer_id, c.currency, c.created_at, c.id)
                       > (${cursor.customer_id}::uuid, ${cursor.currency}::text, ${cursor.created_at}::timestamptz, ${cursor.id}::uuid)`;
  return context.db.$queryRaw<CandidateRow[]>(Prisma.sql`
    SELECT c.customer_id::text AS customer_id, c.currency, c.created_at, c.id::text AS id
      FROM (${candidates(Prisma.raw('t.source_account_id'), Prisma.sql`'transfer', 'withdrawal'`)}
            UNION ALL
            ${candidates(Prisma.raw('t.destination_account_id'), Prisma.sql`'deposit'`)}) AS c
      ${after}
     ORDER BY c.customer_id, c.currency, c.created_at, c.id
     LIMIT ${context.pages.rows}`);
}

type ClusterCsvRow = [string, string, string, string, number, string, string];

/** The CSV rows of found clusters, with each cluster's total summed by one query for all of them. */
async function withTotals(
  context: ReportContext,
  clusters: readonly FoundCluster[],
): Promise<ClusterCsvRow[]> {
  const positions = clusters.flatMap((cluster, position) => cluster.transfers.map(() => position));
  const transfer_ids = clusters.flatMap((cluster) => cluster.transfers.map((transfer) => transfer.id));
  const sums = await context.db.$queryRaw<Array<{ position: number; total: string }>>(Prisma.sql`
    SELECT m.position, sum(t.amount)::text AS total
      FROM unnest(${positions}::int[], ${transfer_ids}::uuid[]) AS m(position, transfer_id)
      JOIN transfers t ON t.id = m.transfer_id
     GROUP BY m.position`);
  const totals = new Map(sums.map((sum) => [sum.position, sum.total]));
  return clusters.map((cluster, position) => {
    const first = cluster.transfers[0]!;
    const last = cluster.transfers.at(-1)!;
    return [
      cluster.customer_id,
      cluster.currency,
      first.created_at.toISOString(),
      last.created_at.toISOString(),
      cluster.transfers.length,
      totalOf(totals, position),
      cluster.transfers.map((transfer) => transfer.id).join(' '),
    ];
  });
}

function totalOf(totals: ReadonlyMap<number, string>, position: number): string {
  const total = totals.get(position);
  // The transfers were read a moment ago and transfers are never deleted.
  assert.ok(total !== undefined, `no total for cluster ${position}`);
  return total;
}
