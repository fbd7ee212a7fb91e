import { Decimal } from '@ledgerline/money';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountState, transferState } from './posting.fixtures';
import { advanceTransfers, applyTransferUpdate, availableBalance, postedBalance } from './posting';
import type {
  AccountState,
  PostingInput,
  PostingResult,
  TransferState,
  TransferStatus,
} from './posting.types';

const CURRENCIES = ['USD', 'EUR'] as const;
const START = new Date('2026-11-28T12:00:00.000Z');

// Amounts: mostly everyday values with cents, sometimes huge ones (18 integer digits, 4 decimals)
// that would lose digits under decimal.js's default 20-digit precision.
const amountArbitrary = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.integer({ min: 1, max: 50_000 }).map((cents) => new Decimal(cents).dividedBy(100)),
  },
  {
    weight: 1,
    arbitrary: fc
      .bigInt({ min: 1n, max: 10n ** 22n - 1n })
      .map((units) => new Decimal(units.toString()).dividedBy(10_000)),
  },
);

const customerArbitrary = fc.record({
  currency: fc.constantFrom(...CURRENCIES),
  kind: fc.constantFrom('checking' as const, 'savings' as const),
  status: fc.oneof(
    { weight: 8, arbitrary: fc.constant('active' as const) },
    { weight: 1, arbitrary: fc.constantFrom('frozen' as const, 'closed' as const) },
  ),
  overdraft_limit: fc.oneof(fc.constant(new Decimal(0)), amountArbitrary),
  funding: fc.integer({ min: 0, max: 200_000 }).map((cents) => new Decimal(cents).dividedBy(100)),
});

const transferArbitrary = fc.record({
  source: fc.nat(),
  destination_offset: fc.nat(),
  // Mostly within one currency, so that most transfers get as far as the funds check.
  same_currency: fc.oneof(
    { weight: 4, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  amount: amountArbitrary,
  currency_index: fc.oneof(
    { weight: 9, arbitrary: fc.constant(-1) },
    { weight: 1, arbitrary: fc.nat({ max: 1 }) },
  ),
  status: fc.constantFrom(
    'approved',
    'approved',
    'approved',
    'approved',
    'held',
    'rejected',
    'posted',
  ) as fc.Arbitrary<TransferStatus>,
  hold: fc.boolean(),
  expires_in_seconds: fc.option(fc.integer({ min: -100, max: 100 }), { nil: null }),
  batch: fc.constantFrom(null, null, 'atomic-1', 'atomic-2', 'loose'),
  description: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
});

const followUpArbitrary = fc.record({
  action: fc.constantFrom('capture', 'void', null),
  capture_share: fc.integer({ min: 1, max: 100 }),
});

const scenarioArbitrary = fc.record({
  customers: fc.array(customerArbitrary, { minLength: 2, maxLength: 6 }),
  transfers: fc.array(transferArbitrary, { maxLength: 25 }),
  follow_ups: fc.array(followUpArbitrary, { minLength: 25, maxLength: 25 }),
  seconds_later: fc.integer({ min: 0, max: 200 }),
});

type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Settlement accounts first, then customers funded from them, so every currency starts balanced. */
function buildAccounts(scenario: Scenario): AccountState[] {
  const settlements = CURRENCIES.map((currency) => {
    const funded = scenario.customers.filter((customer) => customer.currency === currency);
    const total = funded.reduce((sum, customer) => sum.plus(customer.funding), new Decimal(0));
    return accountState({
      id: `settlement-${currency}`,
      currency,
      kind: 'settlement',
      posted_debits: total,
      last_entry_sequence: BigInt(funded.length),
    });
  });
  const customers = scenario.customers.map((customer, index) =>
    accountState({
      id: `customer-${index}`,
      currency: customer.currency,
      kind: customer.kind,
      status: customer.status,
      overdraft_limit: customer.overdraft_limit,
      posted_credits: customer.funding,
      last_entry_sequence: 1n,
    }),
  );
  return [...settlements, ...customers];
}

function buildTransfers(scenario: Scenario, accounts: AccountState[]): TransferState[] {
  return scenario.transfers.map((spec, index) => {
    const source = accounts[spec.source % accounts.length]!;
    const others = accounts.filter(
      (account) => account.id !== source.id && (!spec.same_currency || account.currency === source.currency),
    );
    const destination =
      others[spec.destination_offset % others.length] ??
      accounts.find((account) => account.id !== source.id)!;
    const hold = spec.hold && spec.status === 'approved';
    return transferState({
      id: `transfer-${String(index).padStart(3, '0')}`,
      source_account_id: source.id,
      destination_account_id: destination.id,
      amount: spec.amount,
      currency: spec.currency_index === -1 ? source.currency : CURRENCIES[spec.currency_index]!,
      status: spec.status,
      status_reason: spec.status === 'rejected' ? 'compliance_rejected' : null,
      posted_at: spec.status === 'posted' ? START : null,
      hold,
      hold_expires_at:
        hold && spec.expires_in_seconds !== null
          ? new Date(START.getTime() + spec.expires_in_seconds * 1000)
          : null,
      batch_id: spec.batch,
      batch_atomic: spec.batch !== null && spec.batch.startsWith('atomic'),
      description: spec.description,
    });
  });
}

/** After the first advance: clients ask to capture (some share of the hold) or void pending holds. */
function withHoldActions(transfers: TransferState[], scenario: Scenario): TransferState[] {
  return transfers.map((transfer, index) => {
    const followUp = scenario.follow_ups[index];
    if (transfer.status !== 'pending' || followUp === undefined || followUp.action === null) return transfer;
    if (followUp.action === 'void') return { ...transfer, hold_action: 'void' };
    const share = transfer.amount
      .times(followUp.capture_share)
      .dividedBy(100)
      .toDecimalPlaces(4, Decimal.ROUND_DOWN);
    return {
      ...transfer,
      hold_action: 'capture',
      hold_action_amount: share.greaterThan(0) ? share : transfer.amount,
    };
  });
}

function sumBy(
  accounts: readonly AccountState[],
  currency: string,
  value: (account: AccountState) => Decimal,
): Decimal {
  return accounts
    .filter((account) => account.currency === currency)
    .reduce((sum, account) => sum.plus(value(account)), new Decimal(0));
}

type Check = (input: PostingInput, result: PostingResult) => void;

/** Runs each generated scenario through two advances (post and reserve; then capture, void, expire). */
function forEveryAdvance(check: Check): void {
  fc.assert(
    fc.property(scenarioArbitrary, (scenario) => {
      const accounts = buildAccounts(scenario);
      const first: PostingInput = { accounts, transfers: buildTransfers(scenario, accounts), now: START };
      const firstResult = advanceTransfers(first);
      check(first, firstResult);

      const afterFirst = first.transfers.map((transfer, index) =>
        applyTransferUpdate(transfer, firstResult.transfers[index]!),
      );
      const second: PostingInput = {
        accounts: firstResult.accounts,
        transfers: withHoldActions(afterFirst, scenario),
        now: new Date(START.getTime() + scenario.seconds_later * 1000),
      };
      check(second, advanceTransfers(second));
    }),
    { numRuns: 200 },
  );
}

const pendingNet = (account: AccountState) =>
  new Decimal(account.pending_credits).minus(account.pending_debits);

describe('advanceTransfers properties', () => {
  it('conserves money per currency, posted and reserved', () => {
    forEveryAdvance((input, result) => {
      for (const currency of CURRENCIES) {
        expect(sumBy(result.accounts, currency, postedBalance).toString()).toBe(
          sumBy(input.accounts, currency, postedBalance).toString(),
        );
        expect(sumBy(result.accounts, currency, pendingNet).toString()).toBe(
          sumBy(input.accounts, currency, pendingNet).toString(),
        );
      }
    });
  });

  it('never takes a non-settlement account beyond its overdraft', () => {
    forEveryAdvance((_input, result) => {
      for (const account of result.accounts) {
        if (account.kind !== 'settlement') expect(availableBalance(account).isNegative()).toBe(false);
      }
    });
  });

  it('numbers entries contiguously from last_entry_sequence, with running balances', () => {
    forEveryAdvance((input, result) => {
      for (const before of input.accounts) {
        const entries = result.entries.filter((entry) => entry.account_id === before.id);
        let balance = postedBalance(before);
        entries.forEach((entry, offset) => {
          expect(entry.account_sequence).toBe(before.last_entry_sequence + BigInt(offset + 1));
          balance = entry.direction === 'debit' ? balance.minus(entry.amount) : balance.plus(entry.amount);
          expect(entry.balance_after.toString()).toBe(balance.toString());
        });
        const after = result.accounts.find((account) => account.id === before.id)!;
        expect(after.last_entry_sequence).toBe(before.last_entry_sequence + BigInt(entries.length));
      }
    });
  });

  it('writes exactly one debit on the source and one equal credit on the destination per posting', () => {
    forEveryAdvance((input, result) => {
      result.transfers.forEach((update, index) => {
        const transfer = input.transfers[index]!;
        const entries = result.entries.filter((entry) => entry.transfer_id === transfer.id);
        if (update.changed && update.status === 'posted') {
          const amount = (update.captured_amount ?? transfer.amount).toString();
          expect(
            entries.map((entry) => [entry.direction, entry.account_id, entry.amount.toString()]),
          ).toEqual([
            ['debit', transfer.source_account_id, amount],
            ['credit', transfer.destination_account_id, amount],
          ]);
        } else {
          expect(entries).toEqual([]);
        }
      });
    });
  });

  it('moves the approved members of an atomic batch all together, or rejects all with one reason', () => {
    forEveryAdvance((input, result) => {
      const batchIds = new Set(
        input.transfers.filter((transfer) => transfer.batch_atomic).map((transfer) => transfer.batch_id),
      );
      for (const batchId of batchIds) {
        const outcomes = result.transfers.filter((_update, index) => {
          const transfer = input.transfers[index]!;
          return transfer.batch_id === batchId && transfer.status === 'approved';
        });
        const rejected = outcomes.filter((update) => update.status === 'rejected');
        expect(rejected.length === 0 || rejected.length === outcomes.length).toBe(true);
        expect(new Set(rejected.map((update) => update.status_reason)).size).toBeLessThanOrEqual(1);
      }
    });
  });

  it('changes nothing when applied again to its own outputs', () => {
    forEveryAdvance((input, result) => {
      const replay = advanceTransfers({
        accounts: result.accounts,
        transfers: input.transfers.map((transfer, index) =>
          applyTransferUpdate(transfer, result.transfers[index]!),
        ),
        now: input.now,
      });
      expect(replay.entries).toEqual([]);
      expect(replay.changed_account_ids).toEqual([]);
      expect(replay.transfers.filter((update) => update.changed)).toEqual([]);
    });
  });
});
