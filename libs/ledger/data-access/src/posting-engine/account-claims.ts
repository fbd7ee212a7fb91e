import assert from 'node:assert/strict';
import type { TransferState } from '@ledgerline/ledger-domain';

/**
 * The accounts that one engine's transactions in flight have locked or are about to lock, counted
 * (a deferred part and the transaction it waits for may claim the same account).
 *
 * A claim is only a hint about this process's own transactions: Postgres' row locks are what make
 * postings correct, and they are taken exactly as before. What the hint buys: a batch whose transfers
 * mostly touch accounts nobody here holds posts those at once, instead of queueing behind another
 * batch's locks for the few transfers the two share (see {@link splitByClaims}).
 */
export class AccountClaims {
  private readonly counts = new Map<string, number>();

  isClaimed(account_id: string): boolean {
    return this.counts.has(account_id);
  }

  /** Claims the accounts; the returned function gives them back (calling it again does nothing). */
  claim(account_ids: Iterable<string>): () => void {
    const claimed = [...new Set(account_ids)];
    for (const id of claimed) this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of claimed) {
        const count = this.counts.get(id);
        assert.ok(count !== undefined && count > 0, `account ${id} released more often than claimed`);
        if (count === 1) this.counts.delete(id);
        else this.counts.set(id, count - 1);
      }
    };
  }

  /** How many accounts are claimed; for tests. */
  get size(): number {
    return this.counts.size;
  }
}

/** Transfers whose advance can move money, and so needs their accounts locked. */
export function movesMoney(transfer: TransferState): boolean {
  return transfer.status === 'approved' || transfer.status === 'pending';
}

export interface ClaimSplit<T extends TransferState> {
  /** To advance now: they touch no claimed account. Transfers that move no money are always here. */
  now: T[];
  /** To advance after the claims they meet are given back, in a transaction of their own. */
  later: T[];
  /** The accounts `now` will lock, and those `later` will. */
  now_accounts: Set<string>;
  later_accounts: Set<string>;
}

/**
 * Splits locked transfers (in the order they are applied, id order) into those that can be advanced
 * now and those that touch an account `isClaimed` says another transaction of this engine holds.
 *
 * - An atomic batch stays whole (its members are decided together), at the place of its first member.
 * - A transfer that touches an account of an earlier deferred one is deferred too, so that the
 *   transfers of one account are still applied in their order (a deposit deferred behind another
 *   batch must not be overtaken by a withdrawal of the same money that came after it).
 * So on every account the transfers advanced now come before those advanced later, and advancing
 * `now` first and `later` afterwards applies each account's transfers in the order one transaction
 * over all of them would.
 */
export function splitByClaims<T extends TransferState>(
  transfers: readonly T[],
  isClaimed: (account_id: string) => boolean,
): ClaimSplit<T> {
  const split: ClaimSplit<T> = { now: [], later: [], now_accounts: new Set(), later_accounts: new Set() };
  for (const group of applicationGroups(transfers)) {
    const accounts = group
      .filter(movesMoney)
      .flatMap((transfer) => [transfer.source_account_id, transfer.destination_account_id]);
    const deferred = accounts.some((id) => isClaimed(id) || split.later_accounts.has(id));
    const [part, part_accounts] = deferred
      ? [split.later, split.later_accounts]
      : [split.now, split.now_accounts];
    part.push(...group);
    for (const id of accounts) part_accounts.add(id);
  }
  return split;
}

/** Single transfers, and the members of each atomic batch together at the place of the first member. */
function applicationGroups<T extends TransferState>(transfers: readonly T[]): T[][] {
  const groups: T[][] = [];
  const atomic = new Map<string, T[]>();
  for (const transfer of transfers) {
    if (!transfer.batch_atomic || transfer.batch_id === null) {
      groups.push([transfer]);
      continue;
    }
    const members = atomic.get(transfer.batch_id);
    if (members !== undefined) {
      members.push(transfer);
      continue;
    }
    const group = [transfer];
    atomic.set(transfer.batch_id, group);
    groups.push(group);
  }
  return groups;
}
