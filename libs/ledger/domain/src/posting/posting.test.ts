import { AssertionError } from 'node:assert';
import { Decimal } from '@ledgerline/money';
import { Decimal as DefaultDecimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { accountState, transferState } from './posting.fixtures';
import { advanceTransfers, applyTransferUpdate, availableBalance, postedBalance } from './posting';
import type { AccountState, PostingResult, TransferState } from './posting.types';

const NOW = new Date('2026-11-28T12:00:00.000Z');
const d = (value: string) => new Decimal(value);

function funded(id: string, posted: string, overrides: Partial<AccountState> = {}): AccountState {
  return accountState({ id, posted_credits: d(posted), last_entry_sequence: 1n, ...overrides });
}

function byId(result: PostingResult, id: string): AccountState {
  const account = result.accounts.find((candidate) => candidate.id === id);
  if (account === undefined) throw new Error(`no account ${id}`);
  return account;
}

function run(accounts: AccountState[], transfers: TransferState[], now = NOW): PostingResult {
  return advanceTransfers({ accounts, transfers, now });
}

describe('advanceTransfers: approved transfers without a hold', () => {
  it('posts one debit and one credit with sequences and running balances', () => {
    const result = run(
      [funded('a', '100.00'), funded('b', '5.00')],
      [
        transferState({
          id: 't1',
          source_account_id: 'a',
          destination_account_id: 'b',
          amount: d('30.00'),
          description: 'rent',
        }),
      ],
    );
    expect(result.transfers).toEqual([
      expect.objectContaining({
        transfer_id: 't1',
        from_status: 'approved',
        status: 'posted',
        status_reason: null,
        changed: true,
        posted_at: NOW,
      }),
    ]);
    expect(
      result.entries.map((entry) => [
        entry.account_id,
        entry.direction,
        entry.amount.toString(),
        entry.balance_after.toString(),
        entry.account_sequence,
        entry.description,
      ]),
    ).toEqual([
      ['a', 'debit', '30', '70', 2n, 'rent'],
      ['b', 'credit', '30', '35', 2n, 'rent'],
    ]);
    expect(postedBalance(byId(result, 'a')).toString()).toBe('70');
    expect(byId(result, 'a').last_entry_sequence).toBe(2n);
    expect(result.changed_account_ids).toEqual(['a', 'b']);
  });

  it('continues sequences across several transfers on the same account', () => {
    const result = run(
      [funded('a', '100.00'), funded('b', '0'), funded('c', '0')],
      [
        transferState({ id: 't1', source_account_id: 'a', destination_account_id: 'b', amount: d('10') }),
        transferState({ id: 't2', source_account_id: 'a', destination_account_id: 'c', amount: d('20') }),
        transferState({ id: 't3', source_account_id: 'b', destination_account_id: 'a', amount: d('5') }),
      ],
    );
    const onA = result.entries.filter((entry) => entry.account_id === 'a');
    expect(onA.map((entry) => [entry.account_sequence, entry.balance_after.toString()])).toEqual([
      [2n, '90'],
      [3n, '70'],
      [4n, '75'],
    ]);
  });

  it('rejects when the source would go beyond its overdraft, and allows up to it', () => {
    const result = run(
      [funded('a', '10.00', { overdraft_limit: d('5.00') }), funded('b', '0')],
      [
        transferState({ id: 't1', source_account_id: 'a', destination_account_id: 'b', amount: d('15.01') }),
        transferState({ id: 't2', source_account_id: 'a', destination_account_id: 'b', amount: d('15.00') }),
      ],
    );
    expect(result.transfers.map((update) => [update.status, update.status_reason])).toEqual([
      ['rejected', 'insufficient_funds'],
      ['posted', null],
    ]);
    expect(postedBalance(byId(result, 'a')).toString()).toBe('-5');
    expect(availableBalance(byId(result, 'a')).toString()).toBe('0');
  });

  it('lets the settlement account go negative', () => {
    const result = run(
      [accountState({ id: 's', kind: 'settlement' }), accountState({ id: 'a' })],
      [
        transferState({
          id: 't1',
          kind: 'deposit',
          source_account_id: 's',
          destination_account_id: 'a',
          amount: d('1000'),
        }),
      ],
    );
    expect(result.transfers[0]?.status).toBe('posted');
    expect(postedBalance(byId(result, 's')).toString()).toBe('-1000');
  });

  it.each([
    ['closed source', { status: 'closed' as const }, {}, 'account_closed'],
    ['frozen source', { status: 'frozen' as const }, {}, 'account_frozen'],
    ['frozen destination', {}, { status: 'frozen' as const }, 'account_frozen'],
    ['closed destination', {}, { status: 'closed' as const }, 'account_closed'],
    ['destination in another currency', {}, { currency: 'EUR' }, 'currency_mismatch'],
  ])(
    'rejects with %s',
    (_name, source: Partial<AccountState>, destination: Partial<AccountState>, reason) => {
      const result = run(
        [funded('a', '100', source), funded('b', '0', destination)],
        [transferState({ id: 't1', source_account_id: 'a', destination_account_id: 'b' })],
      );
      expect(result.transfers[0]).toMatchObject({ status: 'rejected', status_reason: reason, changed: true });
      expect(result.entries).toEqual([]);
      expect(result.changed_account_ids).toEqual([]);
    },
  );

  it('checks closed before frozen before currency before funds', () => {
    const result = run(
      [funded('a', '0', { status: 'frozen', currency: 'EUR' }), funded('b', '0', { status: 'closed' })],
      [transferState({ id: 't1', source_account_id: 'a', destination_account_id: 'b' })],
    );
    expect(result.transfers[0]?.status_reason).toBe('account_closed');
  });

  it('keeps exact sums beyond 20 significant digits, whatever decimal.js clone the caller used', () => {
    const big = '999999999999999999.9999';
    const result = run(
      [
        accountState({ id: 's', kind: 'settlement', posted_debits: new DefaultDecimal(big) }),
        accountState({ id: 'a', posted_credits: new DefaultDecimal(big), last_entry_sequence: 1n }),
      ],
      [transferState({ id: 't1', source_account_id: 's', destination_account_id: 'a', amount: d('0.0001') })],
    );
    expect(byId(result, 'a').posted_credits.toString()).toBe('1000000000000000000');
    expect(byId(result, 's').posted_debits.toString()).toBe('1000000000000000000');
  });
});

describe('advanceTransfers: holds', () => {
  const hold = (overrides: Partial<TransferState> = {}) =>
    transferState({
      id: 'h1',
      source_account_id: 'a',
      destination_account_id: 'b',
      amount: d('40.00'),
      hold: true,
      hold_expires_at: new Date(NOW.getTime() + 60_000),
      ...overrides,
    });

  it('reserves an approved hold: pending totals grow, nothing is posted', () => {
    const result = run([funded('a', '100'), funded('b', '0')], [hold()]);
    expect(result.transfers[0]).toMatchObject({ status: 'pending', changed: true, posted_at: null });
    expect(result.entries).toEqual([]);
    expect(byId(result, 'a').pending_debits.toString()).toBe('40');
    expect(byId(result, 'b').pending_credits.toString()).toBe('40');
    expect(availableBalance(byId(result, 'a')).toString()).toBe('60');
  });

  it('rejects a hold the source cannot cover, counting earlier holds', () => {
    const result = run([funded('a', '100', { pending_debits: d('70') }), funded('b', '0')], [hold()]);
    expect(result.transfers[0]).toMatchObject({ status: 'rejected', status_reason: 'insufficient_funds' });
  });

  it('captures part of a hold: releases the reservation and posts the captured amount', () => {
    const accounts = [
      funded('a', '100', { pending_debits: d('40') }),
      funded('b', '0', { pending_credits: d('40') }),
    ];
    const result = run(accounts, [
      hold({ status: 'pending', hold_action: 'capture', hold_action_amount: d('25.50') }),
    ]);
    expect(result.transfers[0]).toMatchObject({ status: 'posted', changed: true, posted_at: NOW });
    expect(result.transfers[0]?.captured_amount?.toString()).toBe('25.5');
    const a = byId(result, 'a');
    expect([
      a.pending_debits.toString(),
      postedBalance(a).toString(),
      availableBalance(a).toString(),
    ]).toEqual(['0', '74.5', '74.5']);
    expect(byId(result, 'b').pending_credits.toString()).toBe('0');
    expect(result.entries.map((entry) => entry.amount.toString())).toEqual(['25.5', '25.5']);
  });

  it('captures the whole hold when no amount is given', () => {
    const accounts = [
      funded('a', '100', { pending_debits: d('40') }),
      funded('b', '0', { pending_credits: d('40') }),
    ];
    const result = run(accounts, [hold({ status: 'pending', hold_action: 'capture' })]);
    expect(result.transfers[0]).toMatchObject({ status: 'posted' });
    expect(result.transfers[0]?.captured_amount?.toString()).toBe('40');
  });

  it('refuses a capture while either account is frozen: the hold is released and nothing moves', () => {
    for (const [source, destination] of [
      [{ status: 'frozen' as const }, {}],
      [{}, { status: 'frozen' as const }],
    ]) {
      const accounts = [
        funded('a', '100', { pending_debits: d('40'), ...source }),
        funded('b', '0', { pending_credits: d('40'), ...destination }),
      ];
      const result = run(accounts, [hold({ status: 'pending', hold_action: 'capture' })]);
      expect(result.transfers[0]).toMatchObject({
        status: 'rejected',
        status_reason: 'account_frozen',
        captured_amount: null,
      });
      expect(result.entries).toEqual([]);
      expect([
        byId(result, 'a').pending_debits.toString(),
        postedBalance(byId(result, 'a')).toString(),
      ]).toEqual(['0', '100']);
      expect(byId(result, 'b').pending_credits.toString()).toBe('0');
    }
  });

  it('voids a hold on request, and on expiry with hold_expired', () => {
    const accounts = [
      funded('a', '100', { pending_debits: d('80') }),
      funded('b', '0', { pending_credits: d('80') }),
    ];
    const result = run(accounts, [
      hold({ id: 'h1', status: 'pending', hold_action: 'void' }),
      hold({ id: 'h2', status: 'pending', hold_expires_at: NOW }),
    ]);
    expect(result.transfers.map((update) => [update.status, update.status_reason])).toEqual([
      ['voided', null],
      ['voided', 'hold_expired'],
    ]);
    expect(byId(result, 'a').pending_debits.toString()).toBe('0');
    expect(result.entries).toEqual([]);
  });

  it('leaves a live hold without an action alone', () => {
    const accounts = [
      funded('a', '100', { pending_debits: d('40') }),
      funded('b', '0', { pending_credits: d('40') }),
    ];
    const result = run(accounts, [hold({ status: 'pending' })]);
    expect(result.transfers[0]).toMatchObject({ status: 'pending', changed: false });
    expect(result.changed_account_ids).toEqual([]);
  });

  it('runs a hold that expired before it was placed straight to voided, so a second advance has nothing to do', () => {
    const result = run(
      [funded('a', '100'), funded('b', '0')],
      [hold({ hold_expires_at: new Date(NOW.getTime() - 1) })],
    );
    expect(result.transfers[0]).toMatchObject({
      from_status: 'approved',
      status: 'voided',
      status_reason: 'hold_expired',
    });
    expect(byId(result, 'a').pending_debits.toString()).toBe('0');
    expect(result.changed_account_ids).toEqual([]);
  });

  it('refuses to release a reservation that is not there', () => {
    expect(() =>
      run([funded('a', '100'), funded('b', '0')], [hold({ status: 'pending', hold_action: 'void' })]),
    ).toThrow(AssertionError);
  });
});

describe('advanceTransfers: atomic batches', () => {
  const accounts = () => [funded('a', '100'), funded('b', '10'), funded('c', '0')];
  const member = (id: string, overrides: Partial<TransferState>) =>
    transferState({
      id,
      source_account_id: 'a',
      destination_account_id: 'c',
      batch_id: 'batch',
      batch_atomic: true,
      ...overrides,
    });

  it('posts every member when all can post', () => {
    const result = run(accounts(), [
      member('t1', { amount: d('60') }),
      member('t2', { source_account_id: 'b', amount: d('10') }),
    ]);
    expect(result.transfers.map((update) => update.status)).toEqual(['posted', 'posted']);
    expect(result.entries).toHaveLength(4);
  });

  it('rejects every member with the first failure reason and leaves no effect', () => {
    const result = run(accounts(), [
      member('t1', { amount: d('60') }),
      member('t2', { amount: d('50') }),
      member('t3', { source_account_id: 'b', destination_account_id: 'c', currency: 'EUR' }),
    ]);
    expect(result.transfers.map((update) => [update.status, update.status_reason])).toEqual([
      ['rejected', 'insufficient_funds'],
      ['rejected', 'insufficient_funds'],
      ['rejected', 'insufficient_funds'],
    ]);
    expect(result.entries).toEqual([]);
    expect(result.changed_account_ids).toEqual([]);
    expect(result.transfers.every((update) => update.posted_at === null)).toBe(true);
  });

  it('does not disturb transfers outside the batch', () => {
    const result = run(accounts(), [
      transferState({ id: 't0', source_account_id: 'a', destination_account_id: 'b', amount: d('1') }),
      member('t1', { amount: d('1000') }),
      transferState({ id: 't9', source_account_id: 'a', destination_account_id: 'b', amount: d('2') }),
    ]);
    expect(result.transfers.map((update) => update.status)).toEqual(['posted', 'rejected', 'posted']);
    expect(
      result.entries.filter((entry) => entry.account_id === 'a').map((entry) => entry.account_sequence),
    ).toEqual([2n, 3n]);
  });

  it('waits while a sibling is still with compliance', () => {
    const result = run(accounts(), [member('t1', {}), member('t2', { status: 'held' })]);
    expect(result.transfers.map((update) => [update.status, update.changed])).toEqual([
      ['approved', false],
      ['held', false],
    ]);
  });

  it('rejects approved members when compliance rejected a sibling', () => {
    const result = run(accounts(), [
      member('t1', {}),
      member('t2', { status: 'rejected', status_reason: 'sanctions_match' }),
    ]);
    expect(result.transfers.map((update) => [update.status, update.status_reason, update.changed])).toEqual([
      ['rejected', 'sanctions_match', true],
      ['rejected', 'sanctions_match', false],
    ]);
  });

  it('treats a batch that is not atomic as independent transfers', () => {
    const result = run(accounts(), [
      member('t1', { amount: d('60'), batch_atomic: false }),
      member('t2', { amount: d('50'), batch_atomic: false }),
    ]);
    expect(result.transfers.map((update) => update.status)).toEqual(['posted', 'rejected']);
  });
});

describe('advanceTransfers: idempotency and input checks', () => {
  it('does nothing the second time over its own outputs', () => {
    const transfers = [
      transferState({ id: 't1', source_account_id: 'a', destination_account_id: 'b', amount: d('30') }),
      transferState({
        id: 't2',
        source_account_id: 'a',
        destination_account_id: 'b',
        amount: d('30'),
        hold: true,
      }),
    ];
    const first = run([funded('a', '100'), funded('b', '0')], transfers);
    const second = run(
      first.accounts,
      transfers.map((transfer, index) => applyTransferUpdate(transfer, first.transfers[index]!)),
    );
    expect(second.entries).toEqual([]);
    expect(second.changed_account_ids).toEqual([]);
    expect(second.transfers.every((update) => !update.changed)).toBe(true);
  });

  it('leaves final and pre-approval statuses alone', () => {
    const statuses = ['received', 'screening', 'held', 'posted', 'rejected', 'voided'] as const;
    const result = run(
      [funded('a', '100'), funded('b', '0')],
      statuses.map((status, index) =>
        transferState({ id: `t${index}`, source_account_id: 'a', destination_account_id: 'b', status }),
      ),
    );
    expect(result.transfers.map((update) => update.changed)).toEqual(statuses.map(() => false));
  });

  it('asserts on input that breaks the ledger rules', () => {
    const accounts = [funded('a', '100'), funded('b', '0')];
    const transfer = transferState({ id: 't1', source_account_id: 'a', destination_account_id: 'b' });
    expect(() => run(accounts, [transfer, transfer])).toThrow(AssertionError);
    expect(() => run([accounts[0]!], [transfer])).toThrow(AssertionError);
    expect(() => run(accounts, [{ ...transfer, amount: d('0') }])).toThrow(AssertionError);
    expect(() => run(accounts, [{ ...transfer, hold_action: 'void' }])).toThrow(AssertionError);
    expect(() => run(accounts, [{ ...transfer, hold: true, hold_action_amount: d('10.01') }])).toThrow(
      AssertionError,
    );
    expect(() => run([funded('a', '1', { posted_debits: d('-1') }), accounts[1]!], [transfer])).toThrow(
      AssertionError,
    );
  });
});
