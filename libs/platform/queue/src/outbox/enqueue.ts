import { positionsArray, Prisma, sqlArray, type StatementRow } from '@ledgerline/db';
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
  let written = 0;
  for (let start = 0; start < list.length; start += INSERT_ROWS_MAX) {
    written += await tx.$executeRaw(outboxInsert(list.slice(start, start + INSERT_ROWS_MAX)));
  }
  return written;
}

/**
 * The INSERT of `enqueueOutbox` as a statement to embed, e.g. as a data-modifying CTE beside the
 * business rows it announces, so that both travel in one round trip:
 * `WITH queued AS (${outboxInsert(messages)}) INSERT INTO transfers ...`. At most 1,000 messages.
 * `when` is an SQL condition the rows are written under (always, by default), e.g. "the idempotency
 * key was claimed by this statement".
 */
export function outboxInsert(
  messages: readonly OutboxMessage[],
  when: Prisma.Sql = Prisma.sql`true`,
): Prisma.Sql {
  return insertOutboxRows(messages, undefined, when);
}

/**
 * The outbox rows of several requests in one data-modifying CTE of fixed text (see
 * `runIdempotentStatements` in the transactions library): each message comes with its request's
 * position, and only those of the positions `claimed` (a subquery of positions) yields are written.
 */
export function claimedOutboxInsert(
  messages: ReadonlyArray<StatementRow<OutboxMessage>>,
  claimed: Prisma.Sql,
): Prisma.Sql {
  return insertOutboxRows(
    messages.map((message) => message.row),
    positionsArray(messages),
    Prisma.sql`m.request_position IN ${claimed}`,
  );
}

/** Rows are inserted in the order given (`ORDER BY m.position`), so their ids follow the messages' order. */
function insertOutboxRows(
  messages: readonly OutboxMessage[],
  positions: string | undefined,
  condition: Prisma.Sql,
): Prisma.Sql {
  if (messages.length > INSERT_ROWS_MAX)
    throw new RangeError(`at most ${INSERT_ROWS_MAX} outbox rows per statement`);
  for (const message of messages) {
    if (!KNOWN_QUEUES.has(message.queue))
      throw new TypeError(`unknown queue ${JSON.stringify(message.queue)}`);
    assertJobId(message.job_id);
    if (message.available_at !== undefined && Number.isNaN(message.available_at.getTime())) {
      throw new TypeError(`available_at of ${message.job_id} is not a valid date`);
    }
  }
  const requestPositions = positions === undefined ? Prisma.empty : Prisma.sql`${positions}::integer[],`;
  const requestPosition = Prisma.raw(positions === undefined ? '' : 'request_position, ');
  return Prisma.sql`
      INSERT INTO outbox_messages (queue, job_name, job_id, payload, request_id, available_at)
      SELECT m.queue, m.job_name, m.job_id, m.payload, m.request_id, coalesce(m.available_at, now())
      FROM unnest(
        ${requestPositions}
        ${sqlArray(messages.map((message) => message.queue))}::varchar[],
        ${sqlArray(messages.map((message) => message.job_name))}::varchar[],
        ${sqlArray(messages.map((message) => message.job_id))}::varchar[],
        ${sqlArray(messages.map((message) => JSON.stringify(message.payload)))}::jsonb[],
        ${sqlArray(messages.map((message) => ('request_id' in message.payload ? message.payload.request_id : null)))}::varchar[],
        ${sqlArray(messages.map((message) => message.available_at?.toISOString() ?? null))}::timestamptz[]
      ) WITH ORDINALITY AS m(${requestPosition}queue, job_name, job_id, payload, request_id, available_at, position)
      WHERE ${condition}
      ORDER BY m.position`;
}
