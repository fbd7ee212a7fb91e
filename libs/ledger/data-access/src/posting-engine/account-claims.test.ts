import type { TransferState } from '@ledgerline/ledger-domain';
import { transferState } from '@ledgerline/ledger-domain/testing';
import { Decimal } from '@ledgerline/money';
import { describe, expect, it } from 'vitest';
import { AccountClaims, splitByClaims } from './account-claims';

function transfer(
  id: string,
  source_account_id: string,
  destination_account_id: string,
  overrides: Partial<TransferState> = {},
): TransferState {
  return transferState({
    id,
    source_account_id,
    destination_account_id,
    amount: new Decimal('1.00'),
    ...overrides,
  });
}

const ids = (transfers: readonly TransferState[]) => transfers.map((item) => item.id);
const claimedIn =
  (...accounts: string[]) =>
  (id: string) =>
    accounts.includes(id);

describe('splitByClaims', () => {
  it('advances everything now when no account is claimed', () => {
    const transfers = [transfer('t1', 'a', 'b'), transfer('t2', 'b', 'c')];
    const split = splitByClaims(transfers, () => false);
    expect(ids(split.now)).toEqual(['t1', 't2']);
    expect(split.later).toEqual([]);
    expect([...split.now_accounts].sort()).toEqual(['a', 'b', 'c']);
  });

  it('defers the transfers that touch a claimed account, and those that follow them on an account', () => {
    const transfers = [
      transfer('t1', 'x', 'y'), // x is claimed
      transfer('t2', 'a', 'b'),
      transfer('t3', 'y', 'z'), // y comes after deferred t1
      transfer('t4', 'c', 'z'), // z comes after deferred t3
      transfer('t5', 'b', 'd'), // b only after t2, which goes now
    ];
    const split = splitByClaims(transfers, claimedIn('x'));
    expect(ids(split.now)).toEqual(['t2', 't5']);
    expect(ids(split.later)).toEqual(['t1', 't3', 't4']);
    expect([...split.later_accounts].sort()).toEqual(['c', 'x', 'y', 'z']);
    expect([...split.now_accounts].sort()).toEqual(['a', 'b', 'd']);
  });

  it('keeps an atomic batch whole, at the place of its first member', () => {
    const atomic = { batch_id: 'batch-1', batch_atomic: true };
    const transfers = [
      transfer('t1', 'a', 'b', atomic),
      transfer('t2', 'c', 'd'),
      transfer('t3', 'e', 'x', atomic), // x is claimed: the whole batch waits
      transfer('t4', 'f', 'g', { ...atomic, status: 'rejected' }),
    ];
    const split = splitByClaims(transfers, claimedIn('x'));
    expect(ids(split.now)).toEqual(['t2']);
    expect(ids(split.later)).toEqual(['t1', 't3', 't4']);
  });

  it('advances transfers that move no money now, whatever they touch', () => {
    const transfers = [transfer('t1', 'x', 'y', { status: 'posted' }), transfer('t2', 'y', 'z')];
    const split = splitByClaims(transfers, claimedIn('x'));
    expect(ids(split.now)).toEqual(['t1', 't2']);
    expect(split.later).toEqual([]);
  });

  it('on every account, keeps the transfers advanced now ahead of those advanced later', () => {
    let state = 12_345;
    const next = (bound: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      // The high bits: an LCG's low bits repeat with a short period.
      return Math.floor((state / 2 ** 31) * bound);
    };
    for (let round = 0; round < 200; round += 1) {
      const accounts = Array.from({ length: 2 + next(12) }, (_, index) => `acct-${index}`);
      const transfers = Array.from({ length: 1 + next(30) }, (_, index) => {
        const source = accounts[next(accounts.length)]!;
        let destination = accounts[next(accounts.length)]!;
        while (destination === source) destination = accounts[next(accounts.length)]!;
        return transfer(`t${String(index).padStart(3, '0')}`, source, destination);
      });
      const claimed = new Set(accounts.filter(() => next(4) === 0));
      const split = splitByClaims(transfers, (id) => claimed.has(id));

      expect([...ids(split.now), ...ids(split.later)].sort()).toEqual(ids(transfers));
      for (const item of split.now) {
        expect(claimed.has(item.source_account_id) || claimed.has(item.destination_account_id)).toBe(false);
      }
      const position = new Map(transfers.map((item, index) => [item.id, index]));
      for (const account of accounts) {
        const touches = (item: TransferState) =>
          item.source_account_id === account || item.destination_account_id === account;
        const lastNow = Math.max(-1, ...split.now.filter(touches).map((item) => position.get(item.id)!));
        const firstLater = Math.min(
          Infinity,
          ...split.later.filter(touches).map((item) => position.get(item.id)!),
        );
        expect(lastNow, `round ${round}, account ${account}`).toBeLessThan(firstLater);
      }
    }
  });
});

describe('AccountClaims', () => {
  it('counts claims per account and gives each back once', () => {
    const claims = new AccountClaims();
    const first = claims.claim(['a', 'b', 'a']);
    const second = claims.claim(['b', 'c']);
    expect(['a', 'b', 'c', 'd'].map((id) => claims.isClaimed(id))).toEqual([true, true, true, false]);
    first();
    first();
    expect(['a', 'b', 'c'].map((id) => claims.isClaimed(id))).toEqual([false, true, true]);
    second();
    expect(claims.size).toBe(0);
  });
});
