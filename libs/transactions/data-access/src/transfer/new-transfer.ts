import { positionsArray, Prisma, rowsColumn, type StatementRow } from '@ledgerline/db';
import type { TransferKind } from './transfer.types';
import type { CheckedTransfer } from './transfer.validation';
import type { TransferRow } from './transfer.view';

/** A transfer row to insert. */
export interface NewTransfer extends CheckedTransfer {
  id: string;
  kind: TransferKind;
  reverses_transfer_id: string | null;
  batch_id: string | null;
}

/**
 * The row a new transfer will have, built before it is written so that the response (and its stored
 * copy for replays) can travel in the same statement as the row. The timestamps are this process's
 * clock, as the UUIDv7 ids already are; `created_at` is also the row's `updated_at` and the base of a
 * hold's expiry. Columns are timestamptz(3), which keeps a Date's milliseconds exactly.
 */
export function newTransferRow(transfer: NewTransfer, created_at: Date): TransferRow {
  const hold_seconds = transfer.hold_expires_in_seconds;
  return {
    id: transfer.id,
    kind: transfer.kind,
    source_account_id: transfer.source_account_id,
    destination_account_id: transfer.destination_account_id,
    amount: transfer.amount,
    currency: transfer.currency,
    status: 'received',
    status_reason: null,
    description: transfer.description,
    metadata: transfer.metadata,
    hold: hold_seconds !== null,
    hold_expires_at: hold_seconds === null ? null : new Date(created_at.getTime() + hold_seconds * 1000),
    hold_action: null,
    captured_amount: null,
    reverses_transfer_id: transfer.reverses_transfer_id,
    batch_id: transfer.batch_id,
    created_at,
    updated_at: created_at,
    posted_at: null,
  };
}

/** A new transfer row and who asked for it. */
export interface NewTransferWrite {
  transfer: TransferRow;
  origin: { client_id: string; request_id: string };
}

/**
 * The INSERT of rows built by {@link newTransferRow} for several requests in one data-modifying CTE of
 * fixed text (see `runIdempotentStatements`): only the rows of the positions `claimed` (a subquery of
 * positions) yields are written. Each column is one array parameter.
 */
export function claimedTransfersInsert(
  writes: ReadonlyArray<StatementRow<NewTransferWrite>>,
  claimed: Prisma.Sql,
): Prisma.Sql {
  const column = (value: (write: NewTransferWrite) => string | null) => rowsColumn(writes, value);
  const transfer = (value: (row: TransferRow) => string | null) => column((write) => value(write.transfer));
  return Prisma.sql`
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, description, metadata,
                           hold, hold_expires_at, reverses_transfer_id, batch_id, client_id, request_id, created_at, updated_at)
    SELECT t.id, t.kind, t.source_account_id, t.destination_account_id, t.amount, t.currency, t.description, t.metadata,
           t.hold, t.hold_expires_at, t.reverses_transfer_id, t.batch_id, t.client_id, t.request_id, t.created_at, t.updated_at
    FROM unnest(
      ${positionsArray(writes)}::integer[],
      ${transfer((row) => row.id)}::uuid[],
      ${transfer((row) => row.kind)}::transfer_kind[],
      ${transfer((row) => row.source_account_id)}::uuid[],
      ${transfer((row) => row.destination_account_id)}::uuid[],
      ${transfer((row) => row.amount)}::numeric[],
      ${transfer((row) => row.currency)}::text[],
      ${transfer((row) => row.description)}::text[],
      ${transfer((row) => JSON.stringify(row.metadata))}::jsonb[],
      ${transfer((row) => String(row.hold))}::boolean[],
      ${transfer((row) => row.hold_expires_at?.toISOString() ?? null)}::timestamptz[],
      ${transfer((row) => row.reverses_transfer_id)}::uuid[],
      ${transfer((row) => row.batch_id)}::uuid[],
      ${column((write) => write.origin.client_id)}::text[],
      ${column((write) => write.origin.request_id)}::text[],
      ${transfer((row) => row.created_at.toISOString())}::timestamptz[],
      ${transfer((row) => row.updated_at.toISOString())}::timestamptz[]
    ) AS t(request_position, id, kind, source_account_id, destination_account_id, amount, currency, description, metadata,
           hold, hold_expires_at, reverses_transfer_id, batch_id, client_id, request_id, created_at, updated_at)
    WHERE t.request_position IN ${claimed}`;
}
