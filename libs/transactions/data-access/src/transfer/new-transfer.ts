import { Prisma } from '@ledgerline/db';
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

/**
 * The INSERT of a row built by {@link newTransferRow}, written only `when` the condition holds (e.g. the
 * idempotency key was claimed by the same statement). Every value is cast: in `INSERT ... SELECT` an
 * untyped parameter would be text.
 */
export function newTransferInsert(
  row: TransferRow,
  origin: { client_id: string; request_id: string },
  when: Prisma.Sql,
): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, description, metadata,
                           hold, hold_expires_at, reverses_transfer_id, batch_id, client_id, request_id, created_at, updated_at)
    SELECT ${row.id}::uuid, ${row.kind}::transfer_kind, ${row.source_account_id}::uuid,
           ${row.destination_account_id}::uuid, ${row.amount}::numeric, ${row.currency}::text, ${row.description}::text,
           ${JSON.stringify(row.metadata)}::jsonb, ${row.hold}::boolean, ${row.hold_expires_at}::timestamptz,
           ${row.reverses_transfer_id}::uuid, ${row.batch_id}::uuid, ${origin.client_id}::text, ${origin.request_id}::text,
           ${row.created_at}::timestamptz, ${row.updated_at}::timestamptz
    WHERE ${when}`;
}
