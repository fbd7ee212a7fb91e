import assert from 'node:assert/strict';
import { Decimal } from '@ledgerline/money';
import type { PostingRejection, StatusReason } from './posting.errors';
import type {
  AccountState,
  JournalEntryDraft,
  PostingInput,
  PostingResult,
  TransferState,
  TransferStatus,
  TransferUpdate,
} from './posting.types';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type WorkingAccount = Mutable<AccountState>;
type WorkingTransfer = Mutable<TransferState>;

const ZERO = new Decimal(0);

/**
 * The value as a money {@link Decimal}: itself when it already is one (values are immutable, so sharing
 * is safe), else re-read through the money clone (precision 60), so that sums stay exact even when a
 * caller handed in a value of another decimal.js clone with the default 20 significant digits. The
 * engine hands in money Decimals, and copying each of them cost a tenth of its CPU.
 */
function asMoney(value: Decimal): Decimal {
  return value.constructor === Decimal ? value : new Decimal(value);
}

// decimal.js copies its argument into a new instance on every comparison (`gte(0)` builds a Decimal
// for the 0), so the checks made for every account and transfer read the sign instead. (decimal.js's
// own `isPositive()` is true for +0, hence names of our own.)
function isAboveZero(value: Decimal): boolean {
  return value.isFinite() && !value.isZero() && !value.isNegative();
}

function isAtLeastZero(value: Decimal): boolean {
  return value.isFinite() && (value.isZero() || !value.isNegative());
}

/** Statuses of a transfer that compliance has not decided yet; an atomic batch waits for them. */
const AWAITING_COMPLIANCE: ReadonlySet<TransferStatus> = new Set(['received', 'screening', 'held']);

/**
 * A transfer makes at most two transitions in one advance: `approved -> pending -> posted|voided`
 * (a hold whose action or expiry is already due). Running every transfer to its fixed point is what
 * makes advancing idempotent: a second advance over the outputs finds nothing left to do.
 */
const TRANSITIONS_PER_ADVANCE_MAX = 2;

/**
 * Applies every due transition of `input.transfers`, in order, to the locked accounts in memory and
 * returns the new account totals, the journal entries to append and one update per transfer.
 *
 * - `approved`, no hold: `posted` (a debit on the source, a credit on the destination), or `rejected`.
 * - `approved`, hold: `pending` (source `pending_debits` and destination `pending_credits` grow by the
 *   amount), or `rejected`. The checks are the same as for posting.
 * - `pending`, `hold_action = capture`: the reservation is released and `hold_action_amount` (the whole
 *   amount when null) is posted; the rest simply stays with the source.
 * - `pending`, `hold_action = void`: released, `voided`. No action and `hold_expires_at <= now`: released,
 *   `voided` with `hold_expired`. A requested action wins over expiry: it was accepted while the hold
 *   was still pending, and the engine may simply be running after the expiry instant.
 * - Anything else: no-op.
 *
 * A capture with either account frozen (or closed) releases the hold and is `rejected` with that
 * reason: frozen accounts neither send nor receive. Void and expiry only release money, so they do
 * not look at account status.
 *
 * Atomic batches (`batch_atomic`) advance as a unit: their approved members all transition, or all are
 * rejected with the first failure's reason and leave no trace on any account. They wait while a sibling
 * is still with compliance, and are rejected with a sibling's reason when compliance rejected it.
 *
 * Pure and deterministic: no clock, no I/O, no randomness. Throws `AssertionError` only on input that
 * breaks the ledger's invariants (a bug upstream), never for a business outcome.
 */
export function advanceTransfers(input: PostingInput): PostingResult {
  const ledger = new WorkingLedger(input.accounts);
  const transfers = input.transfers.map(toWorkingTransfer);
  assertTransfersWellFormed(transfers);

  // An atomic batch advances as one unit, at the position of its first member.
  const atomicGroups = new Map<string, WorkingTransfer[]>();
  for (const transfer of transfers) {
    if (!transfer.batch_atomic || transfer.batch_id === null) continue;
    const members = atomicGroups.get(transfer.batch_id) ?? [];
    members.push(transfer);
    atomicGroups.set(transfer.batch_id, members);
  }
  for (const transfer of transfers) {
    if (transfer.batch_atomic && transfer.batch_id !== null) {
      const members = atomicGroups.get(transfer.batch_id);
      if (members === undefined) continue;
      atomicGroups.delete(transfer.batch_id);
      advanceAtomicGroup(members, ledger, input.now);
    } else {
      advanceToFixedPoint(transfer, ledger, input.now);
    }
  }

  const updates = input.transfers.map((before, index): TransferUpdate => {
    const after = transfers[index];
    assert.ok(after !== undefined);
    return {
      transfer_id: after.id,
      from_status: before.status,
      status: after.status,
      status_reason: after.status_reason,
      captured_amount: after.captured_amount,
      posted_at: after.posted_at,
      changed: after.status !== before.status,
    };
  });
  const accounts = input.accounts.map((account) => ({ ...ledger.account(account.id) }));
  const changedAccountIds = accounts
    .filter((after, index) => !sameAccountState(after, input.accounts[index]))
    .map((account) => account.id);

  assertResultInvariants(input, accounts, ledger.entries, updates);
  return { accounts, changed_account_ids: changedAccountIds, entries: ledger.entries, transfers: updates };
}

/** Applies the engine's updates to transfer states: what the transfers look like after the advance. */
export function applyTransferUpdate(transfer: TransferState, update: TransferUpdate): TransferState {
  assert.equal(update.transfer_id, transfer.id, 'applyTransferUpdate: the update is for another transfer');
  return {
    ...transfer,
    status: update.status,
    status_reason: update.status_reason,
    captured_amount: update.captured_amount,
    posted_at: update.posted_at,
  };
}

/** What a non-settlement account can still send: posted - pending debits + overdraft limit. */
export function availableBalance(account: AccountState): Decimal {
  return asMoney(account.posted_credits)
    .minus(account.posted_debits)
    .minus(account.pending_debits)
    .plus(account.overdraft_limit);
}

/** The posted balance: credits - debits. */
export function postedBalance(account: AccountState): Decimal {
  return asMoney(account.posted_credits).minus(account.posted_debits);
}

function advanceToFixedPoint(transfer: WorkingTransfer, ledger: WorkingLedger, now: Date): void {
  for (let transitions = 0; step(transfer, ledger, now); transitions += 1) {
    assert.ok(
      transitions < TRANSITIONS_PER_ADVANCE_MAX,
      `transfer ${transfer.id} did not reach a fixed point`,
    );
  }
}

/** Makes one transition if one is due; returns whether it did. */
function step(transfer: WorkingTransfer, ledger: WorkingLedger, now: Date): boolean {
  switch (transfer.status) {
    case 'approved': {
      const rejection = rejectionFor(transfer, ledger);
      if (rejection !== null) {
        transfer.status = 'rejected';
        transfer.status_reason = rejection;
        return true;
      }
      if (transfer.hold) {
        ledger.reserve(transfer);
        transfer.status = 'pending';
        transfer.status_reason = null;
        return true;
      }
      ledger.post(transfer, transfer.amount, now);
      transfer.status = 'posted';
      transfer.status_reason = null;
      transfer.posted_at = now;
      return true;
    }
    case 'pending': {
      assert.ok(transfer.hold, `transfer ${transfer.id} is pending without a hold`);
      if (transfer.hold_action === 'capture') {
        const captured = transfer.hold_action_amount ?? transfer.amount;
        ledger.release(transfer);
        // The contract: a frozen account neither sends nor receives, a capture included. The hold is
        // released and nothing moves; the capture cannot wait for an unfreeze past the hold's expiry.
        const unusable = unusableAccount(transfer, ledger);
        if (unusable !== null) {
          reject(transfer, unusable);
          return true;
        }
        ledger.post(transfer, captured, now);
        transfer.status = 'posted';
        transfer.status_reason = null;
        transfer.captured_amount = captured;
        transfer.posted_at = now;
        return true;
      }
      if (transfer.hold_action === 'void') {
        ledger.release(transfer);
        transfer.status = 'voided';
        transfer.status_reason = null;
        return true;
      }
      if (transfer.hold_expires_at !== null && transfer.hold_expires_at.getTime() <= now.getTime()) {
        ledger.release(transfer);
        transfer.status = 'voided';
        transfer.status_reason = 'hold_expired';
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

/** An account on either side that can neither send nor receive: closed first, then frozen. */
function unusableAccount(
  transfer: WorkingTransfer,
  ledger: WorkingLedger,
): 'account_closed' | 'account_frozen' | null {
  const source = ledger.account(transfer.source_account_id).status;
  const destination = ledger.account(transfer.destination_account_id).status;
  if (source === 'closed' || destination === 'closed') return 'account_closed';
  return source === 'frozen' || destination === 'frozen' ? 'account_frozen' : null;
}

function rejectionFor(transfer: WorkingTransfer, ledger: WorkingLedger): PostingRejection | null {
  const unusable = unusableAccount(transfer, ledger);
  if (unusable !== null) return unusable;
  const source = ledger.account(transfer.source_account_id);
  const destination = ledger.account(transfer.destination_account_id);
  if (source.currency !== transfer.currency || destination.currency !== transfer.currency)
    return 'currency_mismatch';
  if (source.kind !== 'settlement' && availableBalance(source).lessThan(transfer.amount))
    return 'insufficient_funds';
  return null;
}

function advanceAtomicGroup(members: WorkingTransfer[], ledger: WorkingLedger, now: Date): void {
  // Members past approval (a pending hold being captured, say) act on their own: the batch's
  // all-or-nothing promise is about whether its transfers are accepted, which was decided before.
  const approved = members.filter((member) => member.status === 'approved');
  for (const member of members) {
    if (member.status !== 'approved') advanceToFixedPoint(member, ledger, now);
  }
  if (approved.length === 0) return;
  // Posting some members while a sibling may still be rejected by compliance would break the promise.
  if (members.some((member) => AWAITING_COMPLIANCE.has(member.status))) return;
  const rejectedSibling = members.find((member) => member.status === 'rejected');
  if (rejectedSibling !== undefined) {
    for (const member of approved) reject(member, rejectedSibling.status_reason);
    return;
  }

  ledger.begin();
  for (const member of approved) {
    advanceToFixedPoint(member, ledger, now);
    if (member.status === 'rejected') {
      const reason = member.status_reason;
      ledger.rollback();
      for (const sibling of approved) reject(sibling, reason);
      return;
    }
  }
  ledger.commit();
}

function reject(transfer: WorkingTransfer, reason: StatusReason | null): void {
  transfer.status = 'rejected';
  transfer.status_reason = reason;
  transfer.captured_amount = null;
  transfer.posted_at = null;
}

/**
 * The locked accounts, changed in memory. `begin`/`rollback` give an atomic batch its all-or-nothing
 * behaviour: every account is saved before its first change inside the group, and restored on failure.
 */
class WorkingLedger {
  readonly entries: JournalEntryDraft[] = [];
  private readonly accounts = new Map<string, WorkingAccount>();
  private saved: Map<string, WorkingAccount> | null = null;
  private savedEntriesLength = 0;

  constructor(accounts: readonly AccountState[]) {
    for (const account of accounts) {
      assert.ok(!this.accounts.has(account.id), `account ${account.id} appears twice in the input`);
      const working = toWorkingAccount(account);
      assertTotalsNonNegative(working);
      this.accounts.set(account.id, working);
    }
  }

  account(id: string): WorkingAccount {
    const account = this.accounts.get(id);
    assert.ok(account !== undefined, `account ${id} is not among the locked accounts`);
    return account;
  }

  begin(): void {
    assert.equal(this.saved, null, 'atomic groups do not nest');
    this.saved = new Map();
    this.savedEntriesLength = this.entries.length;
  }

  commit(): void {
    assert.notEqual(this.saved, null);
    this.saved = null;
  }

  rollback(): void {
    assert.ok(this.saved !== null);
    for (const [id, before] of this.saved) this.accounts.set(id, before);
    this.entries.length = this.savedEntriesLength;
    this.saved = null;
  }

  reserve(transfer: WorkingTransfer): void {
    const source = this.change(transfer.source_account_id);
    const destination = this.change(transfer.destination_account_id);
    source.pending_debits = source.pending_debits.plus(transfer.amount);
    destination.pending_credits = destination.pending_credits.plus(transfer.amount);
  }

  release(transfer: WorkingTransfer): void {
    const source = this.change(transfer.source_account_id);
    const destination = this.change(transfer.destination_account_id);
    source.pending_debits = source.pending_debits.minus(transfer.amount);
    destination.pending_credits = destination.pending_credits.minus(transfer.amount);
    // A release larger than what is reserved means the hold was never placed or released twice.
    assertTotalsNonNegative(source);
    assertTotalsNonNegative(destination);
  }

  post(transfer: WorkingTransfer, amount: Decimal, postedAt: Date): void {
    assert.ok(
      isAboveZero(amount) && amount.lessThanOrEqualTo(transfer.amount),
      `bad amount for ${transfer.id}`,
    );
    const source = this.change(transfer.source_account_id);
    const destination = this.change(transfer.destination_account_id);
    source.posted_debits = source.posted_debits.plus(amount);
    destination.posted_credits = destination.posted_credits.plus(amount);
    for (const [account, direction] of [
      [source, 'debit'],
      [destination, 'credit'],
    ] as const) {
      account.last_entry_sequence += 1n;
      this.entries.push({
        account_id: account.id,
        transfer_id: transfer.id,
        direction,
        amount,
        currency: transfer.currency,
        balance_after: postedBalance(account),
        account_sequence: account.last_entry_sequence,
        description: transfer.description,
        posted_at: postedAt,
      });
    }
  }

  /** Returns the account for changing, saving its state first when inside an atomic group. */
  private change(id: string): WorkingAccount {
    const account = this.account(id);
    if (this.saved !== null && !this.saved.has(id)) {
      this.saved.set(id, account);
      const copy = { ...account };
      this.accounts.set(id, copy);
      return copy;
    }
    return account;
  }
}

function toWorkingAccount(account: AccountState): WorkingAccount {
  return {
    ...account,
    overdraft_limit: asMoney(account.overdraft_limit),
    posted_debits: asMoney(account.posted_debits),
    posted_credits: asMoney(account.posted_credits),
    pending_debits: asMoney(account.pending_debits),
    pending_credits: asMoney(account.pending_credits),
  };
}

function toWorkingTransfer(transfer: TransferState): WorkingTransfer {
  return {
    ...transfer,
    amount: asMoney(transfer.amount),
    hold_action_amount: transfer.hold_action_amount === null ? null : asMoney(transfer.hold_action_amount),
    captured_amount: transfer.captured_amount === null ? null : asMoney(transfer.captured_amount),
  };
}

function assertTotalsNonNegative(account: WorkingAccount): void {
  for (const total of [
    'overdraft_limit',
    'posted_debits',
    'posted_credits',
    'pending_debits',
    'pending_credits',
  ] as const) {
    assert.ok(isAtLeastZero(account[total]), `account ${account.id}: ${total} < 0`);
  }
  assert.ok(account.last_entry_sequence >= 0n, `account ${account.id}: negative entry sequence`);
}

function assertTransfersWellFormed(transfers: readonly WorkingTransfer[]): void {
  const ids = new Set<string>();
  for (const transfer of transfers) {
    assert.ok(!ids.has(transfer.id), `transfer ${transfer.id} appears twice in the input`);
    ids.add(transfer.id);
    assert.ok(isAboveZero(transfer.amount), `transfer ${transfer.id}: amount <= 0`);
    assert.notEqual(
      transfer.source_account_id,
      transfer.destination_account_id,
      `transfer ${transfer.id}: same accounts`,
    );
    assert.ok(
      transfer.hold || transfer.hold_action === null,
      `transfer ${transfer.id}: hold action without a hold`,
    );
    assert.ok(
      !transfer.batch_atomic || transfer.batch_id !== null,
      `transfer ${transfer.id}: atomic without a batch`,
    );
    const actionAmount = transfer.hold_action_amount;
    assert.ok(
      actionAmount === null || (isAboveZero(actionAmount) && actionAmount.lessThanOrEqualTo(transfer.amount)),
      `transfer ${transfer.id}: hold_action_amount outside (0, amount]`,
    );
  }
}

function sameAccountState(after: AccountState, before: AccountState | undefined): boolean {
  assert.ok(before !== undefined);
  return (
    after.last_entry_sequence === before.last_entry_sequence &&
    sameAmount(after.posted_debits, before.posted_debits) &&
    sameAmount(after.posted_credits, before.posted_credits) &&
    sameAmount(after.pending_debits, before.pending_debits) &&
    sameAmount(after.pending_credits, before.pending_credits)
  );
}

/** An untouched total is the very instance it was handed in as; comparing digits is for the others. */
function sameAmount(after: Decimal, before: Decimal): boolean {
  return after === before || after.equals(before);
}

/**
 * Double-entry bookkeeping checked before anything is written: entries balance per currency, every
 * account moved by exactly its entries with contiguous sequences, pending totals moved in pairs, and
 * no customer account ended up beyond its overdraft because of this advance.
 */
function assertResultInvariants(
  input: PostingInput,
  accounts: readonly AccountState[],
  entries: readonly JournalEntryDraft[],
  updates: readonly TransferUpdate[],
): void {
  const netByCurrency = new Map<string, Decimal>();
  const addNet = (currency: string, amount: Decimal) =>
    netByCurrency.set(currency, (netByCurrency.get(currency) ?? ZERO).plus(amount));

  const entriesByAccount = new Map<string, JournalEntryDraft[]>();
  for (const entry of entries) {
    addNet(entry.currency, entry.direction === 'debit' ? entry.amount : entry.amount.negated());
    const list = entriesByAccount.get(entry.account_id) ?? [];
    list.push(entry);
    entriesByAccount.set(entry.account_id, list);
  }
  for (const [currency, net] of netByCurrency) {
    assert.ok(net.isZero(), `debits and credits differ by ${net.toString()} ${currency}`);
  }

  const postedNet = new Map<string, Decimal>();
  const pendingNet = new Map<string, Decimal>();
  const addTo = (map: Map<string, Decimal>, currency: string, amount: Decimal) =>
    map.set(currency, (map.get(currency) ?? ZERO).plus(amount));

  accounts.forEach((after, index) => {
    const before = input.accounts[index];
    assert.ok(before !== undefined && before.id === after.id);
    const own = entriesByAccount.get(after.id) ?? [];
    let debits = ZERO;
    let credits = ZERO;
    let sequence = before.last_entry_sequence;
    const balanceBefore = postedBalance(before);
    let balance = balanceBefore;
    for (const entry of own) {
      sequence += 1n;
      assert.equal(entry.account_sequence, sequence, `account ${after.id}: entry sequence is not contiguous`);
      if (entry.direction === 'debit') {
        debits = debits.plus(entry.amount);
        balance = balance.minus(entry.amount);
      } else {
        credits = credits.plus(entry.amount);
        balance = balance.plus(entry.amount);
      }
      assert.ok(entry.balance_after.equals(balance), `account ${after.id}: wrong balance_after`);
      assert.equal(entry.currency, after.currency, `account ${after.id}: entry in another currency`);
    }
    assert.equal(after.last_entry_sequence, sequence, `account ${after.id}: last_entry_sequence is off`);
    assert.ok(
      after.posted_debits.minus(before.posted_debits).equals(debits),
      `account ${after.id}: debits != entries`,
    );
    assert.ok(
      after.posted_credits.minus(before.posted_credits).equals(credits),
      `account ${after.id}: credits != entries`,
    );
    assertTotalsNonNegative(after);
    if (after.kind !== 'settlement') {
      const availableAfter = availableBalance(after);
      assert.ok(
        availableAfter.greaterThanOrEqualTo(0) ||
          availableAfter.greaterThanOrEqualTo(availableBalance(before)),
        `account ${after.id}: beyond its overdraft limit`,
      );
    }
    addTo(postedNet, after.currency, postedBalance(after).minus(balanceBefore));
    addTo(
      pendingNet,
      after.currency,
      after.pending_credits
        .minus(before.pending_credits)
        .minus(after.pending_debits.minus(before.pending_debits)),
    );
  });
  for (const [currency, net] of postedNet) {
    assert.ok(net.isZero(), `posted money not conserved in ${currency}`);
  }
  for (const [currency, net] of pendingNet) {
    assert.ok(net.isZero(), `pending money not conserved in ${currency}`);
  }

  const postedNow = updates.filter((update) => update.changed && update.status === 'posted');
  assert.equal(entries.length, postedNow.length * 2, 'every posting is one debit and one credit');
}
