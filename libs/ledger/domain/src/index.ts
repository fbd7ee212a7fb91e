/**
 * The ledger's posting rules, pure and in memory: given the locked accounts and a batch of transfers,
 * {@link advanceTransfers} computes every due transition (post, reject, reserve a hold, capture, void,
 * expire), the journal entries to append and the accounts' new totals, and asserts double-entry
 * invariants before anything is written. No I/O: the posting engine in `@ledgerline/ledger` locks,
 * calls this and writes the result in one transaction.
 */
export { advanceTransfers, applyTransferUpdate, availableBalance, postedBalance } from './posting/posting';
export {
  POSTING_REJECTIONS,
  STATUS_REASONS,
  isStatusReason,
  type PostingRejection,
  type StatusReason,
} from './posting/posting.errors';
export {
  ACCOUNT_KINDS,
  ACCOUNT_STATUSES,
  FINAL_TRANSFER_STATUSES,
  HOLD_ACTIONS,
  TRANSFER_KINDS,
  TRANSFER_STATUSES,
  type AccountKind,
  type AccountState,
  type AccountStatus,
  type EntryDirection,
  type HoldAction,
  type JournalEntryDraft,
  type PostingInput,
  type PostingResult,
  type TransferKind,
  type TransferState,
  type TransferStatus,
  type TransferUpdate,
} from './posting/posting.types';
