import assert from 'node:assert/strict';
import { newRowId, sqlArray, type Prisma } from '@ledgerline/db';
import {
  ACCOUNT_KINDS,
  ACCOUNT_STATUSES,
  HOLD_ACTIONS,
  TRANSFER_KINDS,
  TRANSFER_STATUSES,
  type AccountState,
  type JournalEntryDraft,
  type StatusReason,
  type TransferState,
  type TransferUpdate,
} from '@ledgerline/ledger-domain';
import { Decimal } from '@ledgerline/money';

// Every statement the posting engine runs inside its transaction. Each takes whole arrays (one
// parameter per column, expanded with unnest), so a batch of 1 and a batch of 1000 cost the same
// number of round trips while the rows are locked. Each column travels as one array literal
// (`sqlArray`: Prisma's per-element work on JS arrays was a sixth of the engine's CPU), amounts as
// exact decimal strings cast ::numeric.

export type Tx = Prisma.TransactionClient;

export type LockedTransfer = TransferState;
export interface LockedAccount extends AccountState {
  readonly version: bigint;
  readonly updated_at: Date;
}

interface TransferRow {
  id: string;
  kind: string;
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  status: string;
  status_reason: string | null;
  hold: boolean;
  hold_action: string | null;
  hold_action_amount: string | null;
  hold_expires_at: Date | null;
  captured_amount: string | null;
  posted_at: Date | null;
  batch_id: string | null;
  batch_atomic: boolean;
  description: string | null;
}

const TRANSFER_COLUMNS = `
  t.id::text AS id, t.kind::text AS kind, t.source_account_id::text AS source_account_id,
  t.destination_account_id::text AS destination_account_id, t.amount::text AS amount, t.currency::text AS currency,
  t.status::text AS status, t.status_reason, t.hold, t.hold_action::text AS hold_action,
  t.hold_action_amount::text AS hold_action_amount, t.hold_expires_at, t.captured_amount::text AS captured_amount,
  t.posted_at, t.batch_id::text AS batch_id, coalesce(b.atomic, false) AS batch_atomic, t.description`;

/**
 * Locks the given transfers and every sibling of the atomic batches among them, in id order. Ordering
 * the lock requests the same way in every transaction is what keeps two engines from deadlocking, and
 * pulling in the siblings is what lets an atomic batch advance as one unit whichever member's job ran.
 * The ids are gathered first into one array (an init plan), so the locking scan is a primary-key
 * lookup per id and never a filter over the whole table. Under READ COMMITTED a row that another
 * advance changed while we waited is returned as committed, so the state machine below always starts
 * from the newest status.
 */
export const LOCK_TRANSFERS_SQL = `
  SELECT ${TRANSFER_COLUMNS}
    FROM transfers t
    LEFT JOIN transfer_batches b ON b.id = t.batch_id
   WHERE t.id = ANY(ARRAY(
           SELECT unnest($1::uuid[])
            UNION
           SELECT sibling.id
             FROM transfers requested
             JOIN transfer_batches atomic_batch ON atomic_batch.id = requested.batch_id AND atomic_batch.atomic
             JOIN transfers sibling ON sibling.batch_id = requested.batch_id
            WHERE requested.id = ANY($1::uuid[])))
   ORDER BY t.id
     FOR UPDATE OF t`;

export async function lockTransfers(tx: Tx, transferIds: readonly string[]): Promise<LockedTransfer[]> {
  const rows = await tx.$queryRawUnsafe<TransferRow[]>(LOCK_TRANSFERS_SQL, sqlArray(transferIds));
  return rows.map(toTransferState);
}

export const LOCK_BATCH_TRANSFERS_SQL = `
  SELECT ${TRANSFER_COLUMNS}
    FROM transfers t
    LEFT JOIN transfer_batches b ON b.id = t.batch_id
   WHERE t.batch_id = $1::uuid
   ORDER BY t.id
     FOR UPDATE OF t`;

/** Locks every transfer of one batch, in id order. */
export async function lockBatchTransfers(tx: Tx, batchId: string): Promise<LockedTransfer[]> {
  const rows = await tx.$queryRawUnsafe<TransferRow[]>(LOCK_BATCH_TRANSFERS_SQL, batchId);
  return rows.map(toTransferState);
}

interface AccountRow {
  id: string;
  currency: string;
  kind: string;
  status: string;
  overdraft_limit: string;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  last_entry_sequence: string;
  version: string;
  updated_at: Date;
}

// `ORDER BY a.id` names the uuid column, not the text alias of the same name: locks are taken in
// uuid order, the order every other transaction uses too.
export const LOCK_ACCOUNTS_SQL = `
  SELECT a.id::text AS id, a.currency::text AS currency, a.kind::text AS kind, a.status::text AS status,
         a.overdraft_limit::text AS overdraft_limit, a.posted_debits::text AS posted_debits,
         a.posted_credits::text AS posted_credits, a.pending_debits::text AS pending_debits,
         a.pending_credits::text AS pending_credits, a.last_entry_sequence::text AS last_entry_sequence,
         a.version::text AS version, a.updated_at
    FROM accounts a
   WHERE a.id = ANY($1::uuid[])
   ORDER BY a.id
     FOR UPDATE`;

/** Locks accounts in id order: always after the transfers, never the other way round. */
export async function lockAccounts(tx: Tx, accountIds: readonly string[]): Promise<LockedAccount[]> {
  const rows = await tx.$queryRawUnsafe<AccountRow[]>(LOCK_ACCOUNTS_SQL, sqlArray(accountIds));
  return rows.map((row) => ({
    id: row.id,
    currency: row.currency,
    kind: oneOf(ACCOUNT_KINDS, row.kind),
    status: oneOf(ACCOUNT_STATUSES, row.status),
    overdraft_limit: new Decimal(row.overdraft_limit),
    posted_debits: new Decimal(row.posted_debits),
    posted_credits: new Decimal(row.posted_credits),
    pending_debits: new Decimal(row.pending_debits),
    pending_credits: new Decimal(row.pending_credits),
    last_entry_sequence: BigInt(row.last_entry_sequence),
    version: BigInt(row.version),
    updated_at: row.updated_at,
  }));
}

export const INSERT_ENTRIES_SQL = `
  INSERT INTO journal_entries
         (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, description, posted_at)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::entry_direction[], $5::numeric[], $6::text[],
                       $7::numeric[], $8::bigint[], $9::text[], $10::timestamptz[])`;

/** Appends every entry of the batch with one multi-row insert. */
export async function insertEntries(tx: Tx, entries: readonly JournalEntryDraft[]): Promise<void> {
  if (entries.length === 0) return;
  const inserted = await tx.$executeRawUnsafe(
    INSERT_ENTRIES_SQL,
    sqlArray(entries.map(() => newRowId())),
    sqlArray(entries.map((entry) => entry.account_id)),
    sqlArray(entries.map((entry) => entry.transfer_id)),
    sqlArray(entries.map((entry) => entry.direction)),
    sqlArray(entries.map((entry) => entry.amount.toFixed())),
    sqlArray(entries.map((entry) => entry.currency)),
    sqlArray(entries.map((entry) => entry.balance_after.toFixed())),
    sqlArray(entries.map((entry) => entry.account_sequence.toString())),
    sqlArray(entries.map((entry) => entry.description)),
    sqlArray(entries.map((entry) => entry.posted_at.toISOString())),
  );
  assert.equal(inserted, entries.length, 'journal insert wrote a different number of rows');
}

// `a.id = ANY($1)` narrows the accounts before the join: joined against the batch's rows alone, a batch
// of 500 accounts in a table of 10,000 was planned as a hash of every account (15 ms of EXPLAIN ANALYZE
// time under the locks, against 4 ms). The same holds for the transfers below.
//
// Accounts and transfers are written by one statement: the transaction's round trips are what a small
// batch (the pipeline's usual one) pays for, each a wake-up of this process and of a Postgres backend.
// Neither update changes a foreign key, so no constraint check runs between them.
//
// The stored totals are compared with the domain's in Postgres (`agrees`, on the updated row) and only
// the counts come back: one row, however many accounts moved, instead of every updated account's five
// totals as text for the engine to parse into Decimals and compare.
export const UPDATE_ACCOUNTS_AND_TRANSFERS_SQL = `
  WITH moved_accounts AS (
    UPDATE accounts AS a
       SET posted_debits = a.posted_debits + d.posted_debits,
           posted_credits = a.posted_credits + d.posted_credits,
           pending_debits = a.pending_debits + d.pending_debits,
           pending_credits = a.pending_credits + d.pending_credits,
           last_entry_sequence = a.last_entry_sequence + d.entries,
           version = a.version + 1,
           updated_at = $8::timestamptz
      FROM unnest($1::uuid[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[], $7::bigint[],
                  $15::numeric[], $16::numeric[], $17::numeric[], $18::numeric[], $19::bigint[])
           AS d(id, posted_debits, posted_credits, pending_debits, pending_credits, entries, version,
                posted_debits_after, posted_credits_after, pending_debits_after, pending_credits_after,
                last_entry_sequence_after)
     WHERE a.id = ANY($1::uuid[]) AND a.id = d.id AND a.version = d.version
    RETURNING a.id,
              a.posted_debits = d.posted_debits_after AND a.posted_credits = d.posted_credits_after
                AND a.pending_debits = d.pending_debits_after AND a.pending_credits = d.pending_credits_after
                AND a.last_entry_sequence = d.last_entry_sequence_after AS agrees),
  moved_transfers AS (
    UPDATE transfers AS t
       SET status = u.status,
           status_reason = u.status_reason,
           posted_at = u.posted_at,
           captured_amount = u.captured_amount,
           updated_at = $8::timestamptz
      FROM unnest($9::uuid[], $10::transfer_status[], $11::text[], $12::timestamptz[], $13::numeric[], $14::transfer_status[])
           AS u(id, status, status_reason, posted_at, captured_amount, from_status)
     WHERE t.id = ANY($9::uuid[]) AND t.id = u.id AND t.status = u.from_status
    RETURNING t.id)
  SELECT (SELECT count(*) FROM moved_transfers)::integer AS transfers_moved,
         (SELECT count(*) FROM moved_accounts)::integer AS accounts_moved,
         (SELECT string_agg(id::text, ', ' ORDER BY id) FROM moved_accounts WHERE NOT agrees) AS accounts_disagreeing`;

/** The write statement's one row: what it changed, and the accounts whose stored totals are not the domain's. */
interface WrittenCounts {
  transfers_moved: number;
  accounts_moved: number;
  /** Ids, comma-separated; null when every account agrees. */
  accounts_disagreeing: string | null;
}

/**
 * Writes the advance's outcome in one statement:
 * - each changed account once. The row gets the *differences* the domain computed, applied by Postgres
 *   to the locked row, and Postgres compares the resulting totals with the domain's; any disagreement
 *   between the in-memory model and the stored row throws here, which rolls the transaction back.
 *   `version` must still be the one read under the lock.
 * - each changed transfer's new status. The `status = from_status` guard makes the update conditional,
 *   as every status change in Ledgerline is; under our row lock it always matches.
 * Both counts are asserted: a row that did not match its guard aborts the transaction too.
 */
export async function updateAccountsAndTransfers(
  tx: Tx,
  before: readonly LockedAccount[],
  after: readonly AccountState[],
  transfers: readonly TransferUpdate[],
  now: Date,
): Promise<void> {
  if (after.length === 0 && transfers.length === 0) return;
  const previous = new Map(before.map((account) => [account.id, account]));
  const deltas = after.map((account) => {
    const old = previous.get(account.id);
    assert.ok(old !== undefined);
    return {
      posted_debits: account.posted_debits.minus(old.posted_debits).toFixed(),
      posted_credits: account.posted_credits.minus(old.posted_credits).toFixed(),
      pending_debits: account.pending_debits.minus(old.pending_debits).toFixed(),
      pending_credits: account.pending_credits.minus(old.pending_credits).toFixed(),
      entries: (account.last_entry_sequence - old.last_entry_sequence).toString(),
      version: old.version.toString(),
    };
  });
  const [written] = await tx.$queryRawUnsafe<WrittenCounts[]>(
    UPDATE_ACCOUNTS_AND_TRANSFERS_SQL,
    sqlArray(after.map((account) => account.id)),
    sqlArray(deltas.map((delta) => delta.posted_debits)),
    sqlArray(deltas.map((delta) => delta.posted_credits)),
    sqlArray(deltas.map((delta) => delta.pending_debits)),
    sqlArray(deltas.map((delta) => delta.pending_credits)),
    sqlArray(deltas.map((delta) => delta.entries)),
    sqlArray(deltas.map((delta) => delta.version)),
    now.toISOString(),
    sqlArray(transfers.map((update) => update.transfer_id)),
    sqlArray(transfers.map((update) => update.status)),
    sqlArray(transfers.map((update) => update.status_reason)),
    sqlArray(transfers.map((update) => update.posted_at?.toISOString() ?? null)),
    sqlArray(transfers.map((update) => update.captured_amount?.toFixed() ?? null)),
    sqlArray(transfers.map((update) => update.from_status)),
    sqlArray(after.map((account) => account.posted_debits.toFixed())),
    sqlArray(after.map((account) => account.posted_credits.toFixed())),
    sqlArray(after.map((account) => account.pending_debits.toFixed())),
    sqlArray(after.map((account) => account.pending_credits.toFixed())),
    sqlArray(after.map((account) => account.last_entry_sequence.toString())),
  );
  assert.ok(written !== undefined, 'the write statement returns one row');
  if (written.accounts_disagreeing !== null) {
    assert.fail(
      `stored totals disagree with the posting computation: accounts ${written.accounts_disagreeing}`,
    );
  }
  assert.equal(written.accounts_moved, after.length, 'an account changed under our lock');
  assert.equal(written.transfers_moved, transfers.length, 'a transfer changed status under our lock');
}

function toTransferState(row: TransferRow): LockedTransfer {
  return {
    id: row.id,
    kind: oneOf(TRANSFER_KINDS, row.kind),
    source_account_id: row.source_account_id,
    destination_account_id: row.destination_account_id,
    amount: new Decimal(row.amount),
    currency: row.currency,
    status: oneOf(TRANSFER_STATUSES, row.status),
    // Reasons are written by the ledger and compliance from the contract's list; the engine only ever
    // copies one (to an atomic batch's siblings), so it does not need to check it.
    status_reason: row.status_reason as StatusReason | null,
    hold: row.hold,
    hold_action: row.hold_action === null ? null : oneOf(HOLD_ACTIONS, row.hold_action),
    hold_action_amount: row.hold_action_amount === null ? null : new Decimal(row.hold_action_amount),
    hold_expires_at: row.hold_expires_at,
    captured_amount: row.captured_amount === null ? null : new Decimal(row.captured_amount),
    posted_at: row.posted_at,
    batch_id: row.batch_id,
    batch_atomic: row.batch_atomic,
    description: row.description,
  };
}

function oneOf<T extends string>(allowed: readonly T[], value: string): T {
  assert.ok(
    (allowed as readonly string[]).includes(value),
    `unexpected value ${value} (expected one of ${allowed.join(', ')})`,
  );
  return value as T;
}
