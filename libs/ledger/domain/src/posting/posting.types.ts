import type { Decimal } from '@ledgerline/money';
import type { StatusReason } from './posting.errors';

export const ACCOUNT_KINDS = ['checking', 'savings', 'settlement'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export const ACCOUNT_STATUSES = ['active', 'frozen', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const TRANSFER_KINDS = ['transfer', 'deposit', 'withdrawal', 'reversal'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

export const TRANSFER_STATUSES = [
  'received',
  'screening',
  'held',
  'approved',
  'pending',
  'posted',
  'rejected',
  'voided',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** Statuses after which nothing ever changes again. */
export const FINAL_TRANSFER_STATUSES: ReadonlySet<TransferStatus> = new Set(['posted', 'rejected', 'voided']);

export const HOLD_ACTIONS = ['capture', 'void'] as const;
export type HoldAction = (typeof HOLD_ACTIONS)[number];

export type EntryDirection = 'debit' | 'credit';

/**
 * An account as it stands under the posting engine's row lock. `posted` = posted credits - posted
 * debits; a non-settlement account must keep `posted - pending_debits + overdraft_limit >= 0`.
 */
export interface AccountState {
  readonly id: string;
  readonly currency: string;
  readonly kind: AccountKind;
  readonly status: AccountStatus;
  readonly overdraft_limit: Decimal;
  readonly posted_debits: Decimal;
  readonly posted_credits: Decimal;
  readonly pending_debits: Decimal;
  readonly pending_credits: Decimal;
  /** The sequence number of the account's newest journal entry (0 when it has none). */
  readonly last_entry_sequence: bigint;
}

/** A transfer as it stands under the posting engine's row lock. */
export interface TransferState {
  readonly id: string;
  readonly kind: TransferKind;
  readonly source_account_id: string;
  readonly destination_account_id: string;
  readonly amount: Decimal;
  readonly currency: string;
  readonly status: TransferStatus;
  readonly status_reason: StatusReason | null;
  readonly hold: boolean;
  readonly hold_action: HoldAction | null;
  /** The amount to capture; `null` with `hold_action = capture` captures the whole hold. */
  readonly hold_action_amount: Decimal | null;
  readonly hold_expires_at: Date | null;
  readonly captured_amount: Decimal | null;
  readonly posted_at: Date | null;
  readonly batch_id: string | null;
  /** True when `batch_id` names an atomic batch: its transfers post together or not at all. */
  readonly batch_atomic: boolean;
  readonly description: string | null;
}

/** What the posting function needs: every transfer to advance and every account they touch, locked. */
export interface PostingInput {
  readonly accounts: readonly AccountState[];
  /**
   * Transfers in the order to apply them (the engine uses id order, which is creation order). Every
   * member of an atomic batch that appears here must appear with all its siblings.
   */
  readonly transfers: readonly TransferState[];
  /** The instant of posting: entries' `posted_at`, and what hold expiry is compared against. */
  readonly now: Date;
}

/** One side of a posted transfer, ready to insert (the caller assigns the entry id). */
export interface JournalEntryDraft {
  readonly account_id: string;
  readonly transfer_id: string;
  readonly direction: EntryDirection;
  readonly amount: Decimal;
  readonly currency: string;
  /** The account's posted balance (credits - debits) right after this entry. */
  readonly balance_after: Decimal;
  readonly account_sequence: bigint;
  readonly description: string | null;
  readonly posted_at: Date;
}

/** The outcome for one input transfer; `changed` is false for a no-op. */
export interface TransferUpdate {
  readonly transfer_id: string;
  readonly from_status: TransferStatus;
  readonly status: TransferStatus;
  readonly status_reason: StatusReason | null;
  readonly captured_amount: Decimal | null;
  readonly posted_at: Date | null;
  readonly changed: boolean;
}

export interface PostingResult {
  /** Every input account in input order, with its new totals (unchanged ones as they were). */
  readonly accounts: AccountState[];
  /** Ids of the accounts whose totals or sequence changed, in input order. */
  readonly changed_account_ids: string[];
  /** Journal entries in the order they were posted; sequences are contiguous per account. */
  readonly entries: JournalEntryDraft[];
  /** One update per input transfer, in input order. */
  readonly transfers: TransferUpdate[];
}
