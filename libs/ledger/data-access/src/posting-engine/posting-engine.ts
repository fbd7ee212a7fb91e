import assert from 'node:assert/strict';
import { withTransactionRetry, type Database, type RetryOptions } from '@ledgerline/db';
import {
  advanceTransfers,
  type JournalEntryDraft,
  type StatusReason,
  type TransferStatus,
  type TransferUpdate,
} from '@ledgerline/ledger-domain';
import { Decimal } from '@ledgerline/money';
import { SILENT_LOGGER, type LedgerLogger } from '../logger';
import {
  insertEntries,
  lockAccounts,
  lockBatchTransfers,
  lockTransfers,
  updateAccountsAndTransfers,
  type LockedTransfer,
  type Tx,
} from './posting-engine.sql';
import { AccountClaims, movesMoney, splitByClaims } from './account-claims';

export interface PostingEngineOptions {
  db: Database;
  logger?: LedgerLogger;
  /** The most transfer ids one `advance` call accepts (the micro-batcher's flush size). */
  batch_size_max: number;
  /** The most transfers an atomic batch may have; the API accepts up to 1000. Default 1000. */
  atomic_batch_size_max?: number;
  /** How long one posting transaction may take, lock waits included. Default 10 000 ms. */
  transaction_timeout_ms?: number;
  /** How long to wait for a pooled connection to start the transaction. Default 5 000 ms. */
  transaction_max_wait_ms?: number;
  /** Re-runs after serialization failures and deadlocks. Default 8 attempts, 5 ms base backoff. */
  retry?: RetryOptions;
  /** The wall clock; tests move it to expire holds. */
  clock?: () => Date;
}

/** What happened to one requested transfer. `changed` is false when there was nothing to do. */
export interface AdvanceResult {
  transfer_id: string;
  /** The status after the advance, or `not_found` when no transfer has this id. */
  status: TransferStatus | 'not_found';
  status_reason: StatusReason | null;
  changed: boolean;
}

export interface PostingEngine {
  readonly batch_size_max: number;
  /**
   * Advances each transfer through every transition that is due (see `advanceTransfers`), in one
   * Postgres transaction (two when some of them touch accounts another `advance` of this engine holds:
   * those go in the second), and returns one result per requested id, in request order. Members of an
   * atomic batch bring their siblings along. Idempotent: advancing again returns `changed: false`.
   */
  advance(transfer_ids: readonly string[]): Promise<AdvanceResult[]>;
  /** Advances every transfer of one batch in one transaction; for an atomic batch, all or nothing. */
  advanceAtomicBatch(batch_id: string): Promise<AdvanceResult[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The posting engine: the only code that writes journal entries or changes account balances.
 *
 * Exactly once, whatever the retries and redeliveries: a transfer's money moves only on a transition
 * out of `approved` or `pending`, decided under a row lock on the transfer and written in the same
 * transaction as the new status. A second advance waits for the first one's lock, then reads the new
 * status and finds nothing to do. A crash before commit leaves nothing behind; after commit, the
 * status records that the work is done. Should any path still try to post a transfer twice, the
 * unique key on journal_entries (transfer_id, direction) rejects the second debit and the whole
 * transaction rolls back.
 *
 * Statements per transaction are constant: lock transfers, lock accounts, insert all entries, update
 * all accounts, update all transfers. Locks are taken transfers first, then accounts, each in id
 * order, so concurrent engines queue behind each other instead of deadlocking.
 *
 * Concurrent `advance` calls of one engine keep out of each other's way: the transfers of a batch that
 * touch an account another of its transactions holds are advanced by a second transaction right after
 * the first commits (`splitByClaims`), so the rest of the batch does not wait for those locks. The
 * second transaction locks and decides as any other, so this changes when money moves, never whether.
 */
export function createPostingEngine(options: PostingEngineOptions): PostingEngine {
  assert.ok(
    Number.isInteger(options.batch_size_max) && options.batch_size_max >= 1,
    'batch_size_max must be >= 1',
  );
  const logger = options.logger ?? SILENT_LOGGER;
  const atomicBatchSizeMax = options.atomic_batch_size_max ?? 1000;
  const clock = options.clock ?? (() => new Date());
  const retry = options.retry ?? { attempts_max: 8, backoff_base_ms: 5 };
  const claims = new AccountClaims();
  // READ COMMITTED, the isolation every connection of createPrismaClient starts with.
  const transactionOptions = {
    timeout: options.transaction_timeout_ms ?? 10_000,
    maxWait: options.transaction_max_wait_ms ?? 5_000,
  };

  /**
   * One posting transaction (re-run on serialization failures and deadlocks). With `split`, transfers
   * that touch an account another transaction of this engine holds are left for a later transaction
   * (see `splitByClaims`); their ids come back in `deferred`, and their accounts stay claimed until
   * `releaseDeferred` is called.
   */
  async function run(lock: (tx: Tx) => Promise<LockedTransfer[]>, split: boolean): Promise<Advanced> {
    const started_ms = performance.now();
    const advanced = await withTransactionRetry(async () => {
      const claimed: Claimed = { now: NOTHING_CLAIMED, deferred: NOTHING_CLAIMED };
      try {
        const outcome = await options.db.$transaction(
          (tx) => advanceLocked(tx, lock, split, claimed),
          transactionOptions,
        );
        return { ...outcome, releaseDeferred: claimed.deferred };
      } catch (error) {
        claimed.deferred();
        throw error;
      } finally {
        // After commit or rollback: this transaction's locks are gone.
        claimed.now();
      }
    }, retry);
    logger.debug(
      {
        transfers: advanced.updates.length,
        changed: advanced.updates.filter((update) => update.changed).length,
        deferred: advanced.deferred.length,
        duration_ms: Math.round(performance.now() - started_ms),
      },
      'ledger batch advanced',
    );
    return advanced;
  }

  async function advanceLocked(
    tx: Tx,
    lock: (tx: Tx) => Promise<LockedTransfer[]>,
    split: boolean,
    claimed: Claimed,
  ): Promise<Omit<Advanced, 'releaseDeferred'>> {
    const locked = await lock(tx);
    // Synchronous from the split to the claims: no other transaction of this engine claims in between.
    const parts = splitByClaims(locked, split ? (id) => claims.isClaimed(id) : () => false);
    claimed.now = claims.claim(parts.now_accounts);
    claimed.deferred = claims.claim(parts.later_accounts);
    const deferred = parts.later.map((transfer) => transfer.id);
    const transfers = parts.now;
    // Only approved and pending transfers can move money; final ones (a redelivered job) need no account lock.
    const movable = transfers.filter(movesMoney);
    if (movable.length === 0) return { updates: transfers.map(unchanged), deferred };

    const accounts = await lockAccounts(tx, [...parts.now_accounts]);
    // Taken after the account locks and never earlier than any locked account's last change, so that
    // entries' posted_at never go backwards along an account's sequence, whatever the hosts' clocks say.
    const now = latest(
      clock(),
      accounts.map((account) => account.updated_at),
    );
    const result = advanceTransfers({ accounts, transfers, now });
    assertDebitsEqualCredits(result.entries);

    await insertEntries(tx, result.entries);

    const changedIds = new Set(result.changed_account_ids);
    const changedAccounts = result.accounts.filter((account) => changedIds.has(account.id));
    const changedTransfers = result.transfers.filter((update) => update.changed);
    // Throws (and so rolls back) unless the stored totals come out as the domain's and every row matched.
    await updateAccountsAndTransfers(tx, accounts, changedAccounts, changedTransfers, now);
    return { updates: result.transfers, deferred };
  }

  /**
   * Advances `ids` (sorted), splitting off what meets another transaction's accounts: that part runs
   * next, in a transaction of its own that waits for those locks in Postgres as any batch would. So
   * the rest of a batch does not wait behind a few shared accounts (uniform traffic over 10,000
   * accounts: two batches of 256 share about 25 of their 500 accounts).
   */
  async function advanceSorted(ids: readonly string[]): Promise<TransferUpdate[]> {
    const first = await run((tx) => lockTransfers(tx, ids), true);
    if (first.deferred.length === 0) return first.updates;
    try {
      const later = [...first.deferred].sort();
      const second = await run((tx) => lockTransfers(tx, later), false);
      return [...first.updates, ...second.updates];
    } finally {
      first.releaseDeferred();
    }
  }

  return {
    batch_size_max: options.batch_size_max,

    async advance(transferIds) {
      if (transferIds.length > options.batch_size_max) {
        throw new RangeError(
          `advance takes at most ${options.batch_size_max} transfer ids, got ${transferIds.length}`,
        );
      }
      // Postgres would reject a malformed uuid and fail the whole batch; such an id names no transfer.
      const ids = [
        ...new Set(transferIds.map((id) => id.toLowerCase()).filter((id) => UUID.test(id))),
      ].sort();
      const updates = ids.length === 0 ? [] : await advanceSorted(ids);
      const byId = new Map(updates.map((update) => [update.transfer_id, update]));
      return transferIds.map((id) => toResult(id, byId.get(id.toLowerCase())));
    },

    async advanceAtomicBatch(batchId) {
      if (!UUID.test(batchId.toLowerCase())) return [];
      const { updates } = await run(async (tx) => {
        const transfers = await lockBatchTransfers(tx, batchId.toLowerCase());
        assert.ok(
          transfers.length <= atomicBatchSizeMax,
          `batch ${batchId} has more than ${atomicBatchSizeMax} transfers`,
        );
        return transfers;
      }, false);
      return updates.map((update) => toResult(update.transfer_id, update));
    },
  };
}

/** What one posting transaction did, and the transfers it left for the next one. */
interface Advanced {
  updates: TransferUpdate[];
  deferred: string[];
  releaseDeferred: () => void;
}

/** The claims one attempt holds: `now` until its transaction ends, `deferred` until the deferred part's does. */
interface Claimed {
  now: () => void;
  deferred: () => void;
}

const NOTHING_CLAIMED = (): void => undefined;

function unchanged(transfer: LockedTransfer): TransferUpdate {
  return {
    transfer_id: transfer.id,
    from_status: transfer.status,
    status: transfer.status,
    status_reason: transfer.status_reason,
    captured_amount: transfer.captured_amount,
    posted_at: transfer.posted_at,
    changed: false,
  };
}

function toResult(transferId: string, update: TransferUpdate | undefined): AdvanceResult {
  if (update === undefined)
    return { transfer_id: transferId, status: 'not_found', status_reason: null, changed: false };
  return {
    transfer_id: transferId,
    status: update.status,
    status_reason: update.status_reason,
    changed: update.changed,
  };
}

function latest(now: Date, others: readonly Date[]): Date {
  return new Date(Math.max(now.getTime(), ...others.map((other) => other.getTime())));
}

/** Checked again here, where the money is written: the domain asserts it too, per currency. */
function assertDebitsEqualCredits(entries: readonly JournalEntryDraft[]): void {
  const net = new Map<string, Decimal>();
  for (const entry of entries) {
    const signed = entry.direction === 'debit' ? entry.amount : entry.amount.negated();
    net.set(entry.currency, (net.get(entry.currency) ?? new Decimal(0)).plus(signed));
  }
  for (const [currency, difference] of net) {
    assert.ok(difference.isZero(), `debits and credits differ by ${difference.toFixed()} ${currency}`);
  }
}
