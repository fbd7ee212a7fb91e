import type { Prisma } from '@ledgerline/db';
import { assertJobId, QUEUE_NAMES, type JobSpec } from '../jobs/jobs';

/**
 * One outbox row: a job to publish once the transaction that wrote it commits. `available_at` in the
 * future delays publication until then (the relay publishes only rows that are due).
 */
export type OutboxMessage = JobSpec & { available_at?: Date };

/** A Prisma transaction client (or the client itself, for a single-statement write). */
export type OutboxWriter = Pick<Prisma.TransactionClient, '$executeRaw'>;

/** Rows per INSERT statement; larger inputs are written in several statements of the same transaction. */
const INSERT_ROWS_MAX = 1_000;
const KNOWN_QUEUES = new Set<string>(QUEUE_NAMES);

/**
 * Writes outbox rows inside the caller's transaction, so the jobs exist if and only if the business change
 * commits. Nothing touches Redis here: the relay publishes the rows. A trigger notifies the relays
 * (`ledgerline_outbox`) when the transaction commits. Returns the number of rows written.
 *
 * @example
 * await db.$transaction(async (tx) => {
 *   await tx.transfer.create({ data: transfer });
 *   await enqueueOutbox(tx, jobs.screenTransfer(transfer.id, request_id));
 * });
 */
export async function enqueueOutbox(
  tx: OutboxWriter,
  messages: OutboxMessage | readonly OutboxMessage[],
): Promise<number> {
  const list: readonly OutboxMessage[] = Array.isArray(messages) ? messages : [messages as OutboxMessage];
  for (const message of list) {
    if (!KNOWN_QUEUES.has(message.queue))
      throw new TypeError(`unknown queue ${JSON.stringify(message.queue)}`);
    assertJobId(message.job_id);
    if (message.available_at !== undefined && Number.isNaN(message.available_at.getTime())) {
      throw new TypeError(`available_at of ${message.job_id} is not a valid date`);
    }
  }
  let written = 0;
  for (let start = 0; start < list.length; start += INSERT_ROWS_MAX) {
    const chunk = list.slice(start, start + INSERT_ROWS_MAX);
    written += await tx.$executeRaw`
      INSERT INTO outbox_messages (queue, job_name, job_id, payload, request_id, available_at)
      SELECT m.queue, m.job_name, m.job_id, m.payload, m.request_id, coalesce(m.available_at, now())
      FROM unnest(
        ${chunk.map((message) => message.queue)}::varchar[],
        ${chunk.map((message) => message.job_name)}::varchar[],
        ${chunk.map((message) => message.job_id)}::varchar[],
        ${chunk.map((message) => JSON.stringify(message.payload))}::jsonb[],
        ${chunk.map((message) => message.payload.request_id)}::varchar[],
        ${chunk.map((message) => message.available_at?.toISOString() ?? null)}::timestamptz[]
      ) WITH ORDINALITY AS m(queue, job_name, job_id, payload, request_id, available_at, position)
      ORDER BY m.position`;
  }
  return written;
}
