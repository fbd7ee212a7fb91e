import { isTransientDatabaseError, newRowId, withTransactionRetry, type Database } from '@ledgerline/db';
import { createMicroBatcher, type BatchMetrics } from '@ledgerline/batching';
import { claimedAuditInsert, type AuditEntry } from '@ledgerline/audit';
import { claimedOutboxInsert, type OutboxMessage } from '@ledgerline/queue';
import {
  runIdempotentStatements,
  type IdempotencyOutcome,
  type IdempotentStatement,
  type StatementWrites,
} from '../idempotency/idempotency';
import { claimedTransfersInsert, type NewTransferWrite } from './new-transfer';
import type { TransferFailure } from './transfer.types';

/** The most accepts one statement carries; more waiting start the next statement. */
export const ACCEPTS_PER_STATEMENT_MAX = 32;

/**
 * Accept statements one process runs at once, each on a pooled connection of its own (the pool holds 10
 * by default). With two, an accept that arrived while both ran waited for one of them to commit, so a
 * slow commit held up the next batch too: at 1,000/s offered, two alternating pairs of benchmark runs
 * gave transactions-api's own p99 40.5 / 41.0 ms with two against 33.7 / 37.8 ms with four (the client's
 * 73.0 / 79.8 against 63.7 / 61.3 ms), and end to end at saturation the same 892 posted/s and CPU per
 * transfer either way: under a backlog the statements still fill up.
 */
const ACCEPT_STATEMENTS_IN_FLIGHT_MAX = 4;

export type AcceptOutcome = IdempotencyOutcome<TransferFailure> | undefined;

/** What one accept writes when its statement claims its key: the transfer, its jobs and its audit record. */
export interface AcceptWork extends NewTransferWrite {
  messages: readonly OutboxMessage[];
  audit: AuditEntry | undefined;
}

export interface AcceptStatements {
  /** Runs one accept's statement together with the accepts submitted meanwhile. */
  submit(request: IdempotentStatement<AcceptWork>): Promise<AcceptOutcome>;
}

/** The accepts' rows as three set-based INSERTs (transfers, outbox, audit), whatever their number. */
const acceptWrites: StatementWrites<AcceptWork> = (works, claimed) => {
  const audits = works.flatMap(({ position, row }) =>
    row.audit === undefined ? [] : [{ position, row: row.audit }],
  );
  return [
    claimedTransfersInsert(works, claimed),
    claimedOutboxInsert(
      works.flatMap(({ position, row }) => row.messages.map((message) => ({ position, row: message }))),
      claimed,
    ),
    ...(audits.length === 0 ? [] : [claimedAuditInsert(audits, claimed)]),
  ];
};

/**
 * Sends concurrent one-statement accepts to Postgres together: every accept that arrives while the
 * previous statements run goes out in the next one (`runIdempotentStatements`, the platform's
 * micro-batcher with no linger). Under load an accept then pays a fraction of a round trip, of Prisma's
 * per-statement work and of a commit; alone it waits for nothing but the end of the event loop's turn.
 *
 * Exactly once is the statement's (each request's writes are guarded by its own claimed key, and the
 * statement is one implicit transaction). A statement that fails commits nothing, so its accepts are
 * then run one by one, each alone in a statement of its own, and only the one at fault fails; a retry
 * after a commit nobody saw finds its key and replays. Faults of the moment (the database unreachable)
 * fail every accept of the statement at once instead: running them one by one would only fail slower.
 * Each request is answered only once its statement committed, so an accepted transfer is durable.
 */
export function createAcceptStatements(db: Database, batch_metrics?: BatchMetrics): AcceptStatements {
  /** The requests of the submits still waiting for their answer, by a key unique to each submit. */
  const submitted = new Map<string, IdempotentStatement<AcceptWork>>();
  const batcher = createMicroBatcher<AcceptOutcome>({
    on_batch: batch_metrics,
    batch_size_max: ACCEPTS_PER_STATEMENT_MAX,
    linger_ms: 0,
    batches_in_flight_max: ACCEPT_STATEMENTS_IN_FLIGHT_MAX,
    split_after: (error) => !isTransientDatabaseError(error),
    run: (keys) =>
      withTransactionRetry(() =>
        runIdempotentStatements<TransferFailure, AcceptWork>(
          db,
          keys.map((key) => {
            const request = submitted.get(key);
            if (request === undefined) throw new Error('an accept was answered before its statement ran');
            return request;
          }),
          acceptWrites,
        ),
      ),
  });
  return {
    async submit(request) {
      const key = newRowId();
      submitted.set(key, request);
      try {
        return await batcher.submit(key);
      } finally {
        submitted.delete(key);
      }
    },
  };
}
