import { Prisma } from '@ledgerline/db';
import { formatAmount } from '@ledgerline/money';
import type { TransferView } from './transfer.types';

/**
 * A transfers row as the queries here read it: the fields of {@link TransferView}, but money as raw
 * NUMERIC text (so no float or foreign Decimal is involved) and timestamps as dates, plus the hold's
 * pending action, which the API does not show.
 */
export interface TransferRow extends Omit<
  TransferView,
  'hold_expires_at' | 'created_at' | 'updated_at' | 'posted_at'
> {
  hold_expires_at: Date | null;
  hold_action: 'capture' | 'void' | null;
  created_at: Date;
  updated_at: Date;
  posted_at: Date | null;
}

/** The select list matching {@link TransferRow}; `t` is the transfers alias. */
export const TRANSFER_COLUMNS = Prisma.raw(`
  t.id::text AS id, t.kind::text AS kind, t.source_account_id::text AS source_account_id,
  t.destination_account_id::text AS destination_account_id, t.amount::text AS amount, t.currency,
  t.status::text AS status, t.status_reason, t.description, t.metadata, t.hold, t.hold_expires_at,
  t.hold_action::text AS hold_action, t.captured_amount::text AS captured_amount,
  t.reverses_transfer_id::text AS reverses_transfer_id, t.batch_id::text AS batch_id,
  t.created_at, t.updated_at, t.posted_at`);

/** The API shape of a row. Amounts carry exactly the currency's minor units ("12.50", "1000", "1.500"). */
export function toTransferView(row: TransferRow): TransferView {
  return {
    id: row.id,
    kind: row.kind,
    source_account_id: row.source_account_id,
    destination_account_id: row.destination_account_id,
    amount: formatAmount(row.amount, row.currency),
    currency: row.currency,
    status: row.status,
    status_reason: row.status_reason,
    description: row.description,
    metadata: row.metadata,
    hold: row.hold,
    hold_expires_at: row.hold_expires_at?.toISOString() ?? null,
    captured_amount: row.captured_amount === null ? null : formatAmount(row.captured_amount, row.currency),
    reverses_transfer_id: row.reverses_transfer_id,
    batch_id: row.batch_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    posted_at: row.posted_at?.toISOString() ?? null,
  };
}
