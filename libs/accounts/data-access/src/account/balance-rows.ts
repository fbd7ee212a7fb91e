import { sqlArray, type Database } from '@ledgerline/db';
import { createMicroBatcher, type BatchMetrics, type MicroBatcher } from '@ledgerline/batching';
import type { BalanceColumns } from './balance';

/** What the read paths (balance, statement) need of an account: NUMERIC columns as exact text. */
export interface BalanceRow extends BalanceColumns {
  id: string;
  /** Null for settlement accounts; callers compare it with the caller's scope. */
  customer_id: string | null;
  currency: string;
}

/** The most accounts one read fetches; more waiting start the next read. */
const ACCOUNTS_PER_READ_MAX = 256;

/**
 * Reads accounts' balance rows, one statement for every lookup that arrived while the previous
 * statements were running: under load a balance read costs a fraction of a round trip and of Prisma's
 * per-statement work (the bulk of the read path's CPU), and requests for the same account share a row.
 *
 * As fresh as a statement of its own: a lookup joins only a read that has not started yet, and that
 * read's snapshot is taken after it starts, so it sees every change committed before the request
 * arrived (a client that saw its transfer posted then sees it in the balance). `linger_ms: 0` waits for
 * nothing but the end of the event loop's current turn. Ids must be lower-case UUIDs (checked by the caller).
 * `batch_metrics` is told each statement's size and duration (accounts-api's `/metrics`).
 */
export function createBalanceRowReader(
  db: Database,
  batch_metrics?: BatchMetrics,
): MicroBatcher<BalanceRow | null> {
  return createMicroBatcher<BalanceRow | null>({
    on_batch: batch_metrics,
    batch_size_max: ACCOUNTS_PER_READ_MAX,
    linger_ms: 0,
    // A failed read is about the moment (the database unreachable), not about one id: all its lookups fail.
    split_after: () => false,
    async run(ids) {
      const rows = await db.$queryRaw<BalanceRow[]>`
        SELECT id::text AS id, customer_id::text AS customer_id, currency::text AS currency,
               posted_debits::text AS posted_debits, posted_credits::text AS posted_credits,
               pending_debits::text AS pending_debits, pending_credits::text AS pending_credits,
               overdraft_limit::text AS overdraft_limit
          FROM accounts WHERE id = ANY(${sqlArray(ids)}::uuid[])`;
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  });
}
