import { Prisma, transferStatusIn, type Database } from '@ledgerline/db';

/** The statuses in which a transfer waits for something: a job, an officer, or its client (a hold). */
export const WAITING_STATUSES = ['received', 'screening', 'held', 'approved', 'pending'] as const;
export type WaitingStatus = (typeof WAITING_STATUSES)[number];

export interface PipelineBacklog {
  transfers: Record<WaitingStatus, { count: number; oldest_unchanged_seconds: number }>;
  /** Outbox rows due for publishing (their `available_at` has come) that the relay has not published. */
  outbox: { due: number; oldest_due_seconds: number };
}

interface StatusRow {
  status: WaitingStatus;
  count: number;
  oldest_unchanged_seconds: number;
}

/**
 * What waits in the database, for the ops API's metrics: two statements, each on an index (the
 * `(phase, id)` range of every waiting status's phase; the outbox's partial index of unpublished rows). In a
 * healthy platform both read a handful of rows: transfers pass through screening and the ledger within a
 * second and the relay publishes within its poll. Open holds (`pending`) are the exception: they can be
 * many and old by design, and are counted all the same.
 */
export async function readPipelineBacklog(db: Database): Promise<PipelineBacklog> {
  const [rows, outbox] = await Promise.all([
    db.$queryRaw<StatusRow[]>`
      SELECT status::text AS status, count(*)::int AS count,
             EXTRACT(EPOCH FROM clock_timestamp() - min(updated_at))::float8 AS oldest_unchanged_seconds
      FROM transfers
      WHERE ${transferStatusIn(Prisma.sql`${[...WAITING_STATUSES]}::transfer_status[]`)}
      GROUP BY status`,
    db.$queryRaw<Array<{ due: number; oldest_due_seconds: number | null }>>`
      SELECT count(*)::int AS due,
             EXTRACT(EPOCH FROM clock_timestamp() - min(available_at))::float8 AS oldest_due_seconds
      FROM outbox_messages
      WHERE published_at IS NULL AND available_at <= clock_timestamp()`,
  ]);
  const transfers = Object.fromEntries(
    WAITING_STATUSES.map((status) => [status, { count: 0, oldest_unchanged_seconds: 0 }]),
  ) as PipelineBacklog['transfers'];
  for (const row of rows)
    transfers[row.status] = {
      count: row.count,
      oldest_unchanged_seconds: Math.max(0, row.oldest_unchanged_seconds),
    };
  const due = outbox[0] ?? { due: 0, oldest_due_seconds: null };
  return {
    transfers,
    outbox: { due: due.due, oldest_due_seconds: Math.max(0, due.oldest_due_seconds ?? 0) },
  };
}
