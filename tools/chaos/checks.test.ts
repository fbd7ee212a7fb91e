import { describe, expect, it } from 'vitest';
import { checkAtomicBatches, holdOutcome, matchesRequest, type TransferRow } from './checks';
import type { TransferRecord } from './clients';
import type { HoldActionRecord } from './holds';

const record = (hold_action?: HoldActionRecord): TransferRecord => ({
  key: 'chaos-0-key',
  client: 0,
  kind: 'transfer',
  body: {
    source_account_id: 'a',
    destination_account_id: 'b',
    amount: '25.00',
    currency: 'USD',
    metadata: { chaos_key: 'chaos-0-key' },
    hold: true,
    hold_expires_in_seconds: 5,
  },
  outcome: 'accepted',
  transfer_id: 't',
  attempts: 1,
  anomalies: [],
  started_at: '',
  finished_at: '',
  ...(hold_action === undefined ? {} : { hold_action }),
});

const row = (status: string, extra: Partial<TransferRow> = {}): TransferRow => ({
  id: 't',
  kind: 'transfer',
  status,
  status_reason: null,
  source_account_id: 'a',
  destination_account_id: 'b',
  amount: '25.0000',
  currency: 'USD',
  chaos_key: 'chaos-0-key',
  hold: true,
  captured_amount: null,
  batch_id: null,
  debits: status === 'posted' ? 1 : 0,
  credits: status === 'posted' ? 1 : 0,
  debited: null,
  ...extra,
});

const action = (
  partial: Partial<HoldActionRecord> & Pick<HoldActionRecord, 'action' | 'outcome'>,
): HoldActionRecord => ({ attempts: 1, ...partial });

describe('holdOutcome', () => {
  it('accepts a capture that posted exactly the amount asked for, or the whole hold when none was', () => {
    expect(
      holdOutcome(
        record(action({ action: 'capture', outcome: 'accepted', amount: '10.00' })),
        row('posted', { captured_amount: '10.0000' }),
      ),
    ).toEqual({ name: 'captured' });
    expect(
      holdOutcome(
        record(action({ action: 'capture', outcome: 'accepted' })),
        row('posted', { captured_amount: '25.0000' }),
      ),
    ).toEqual({ name: 'captured' });
  });

  it('flags an accepted capture that posted another amount, or did not post', () => {
    expect(
      holdOutcome(
        record(action({ action: 'capture', outcome: 'accepted', amount: '10.00' })),
        row('posted', { captured_amount: '25.0000' }),
      ).violation,
    ).toBe('hold_capture_not_applied');
    expect(
      holdOutcome(
        record(action({ action: 'capture', outcome: 'accepted' })),
        row('voided', { status_reason: 'hold_expired' }),
      ).violation,
    ).toBe('hold_capture_not_applied');
  });

  it('accepts a capture the ledger refused because an account was frozen, and nothing else instead of posting', () => {
    expect(
      holdOutcome(
        record(action({ action: 'capture', outcome: 'accepted' })),
        row('rejected', { status_reason: 'account_frozen' }),
      ),
    ).toEqual({ name: 'rejected' });
    expect(
      holdOutcome(
        record(action({ action: 'capture', outcome: 'accepted' })),
        row('rejected', { status_reason: 'insufficient_funds' }),
      ).violation,
    ).toBe('hold_capture_not_applied');
  });

  it('flags an accepted void that did not void', () => {
    expect(holdOutcome(record(action({ action: 'void', outcome: 'accepted' })), row('voided'))).toEqual({
      name: 'voided',
    });
    expect(
      holdOutcome(
        record(action({ action: 'void', outcome: 'accepted' })),
        row('posted', { captured_amount: '25.0000' }),
      ).violation,
    ).toBe('hold_void_not_applied');
    expect(
      holdOutcome(
        record(action({ action: 'void', outcome: 'accepted' })),
        row('voided', { status_reason: 'hold_expired' }),
      ).violation,
    ).toBe('hold_void_not_applied');
  });

  it('lets a hold nobody acted on (or acted on too late) only expire or be rejected', () => {
    for (const hold_action of [
      action({ action: 'none', outcome: 'not_sent' }),
      action({ action: 'capture', outcome: 'too_late' }),
    ]) {
      expect(holdOutcome(record(hold_action), row('voided', { status_reason: 'hold_expired' }))).toEqual({
        name: 'expired',
      });
      expect(
        holdOutcome(record(hold_action), row('rejected', { status_reason: 'insufficient_funds' })),
      ).toEqual({ name: 'rejected' });
      expect(holdOutcome(record(hold_action), row('posted', { captured_amount: '25.0000' })).violation).toBe(
        'hold_moved_without_action',
      );
      expect(holdOutcome(record(hold_action), row('voided')).violation).toBe('hold_moved_without_action');
    }
  });

  it('allows any final state when the answer to an action was lost', () => {
    const lost = action({ action: 'capture', outcome: 'indeterminate', amount: '10.00' });
    for (const stored of [
      row('posted', { captured_amount: '10.0000' }),
      row('voided', { status_reason: 'hold_expired' }),
      row('rejected'),
    ]) {
      expect(holdOutcome(record(lost), stored).violation).toBeUndefined();
    }
  });
});

describe('checkAtomicBatches', () => {
  const member = (index: number): TransferRecord => ({
    ...record(),
    key: `batch-key-${index}`,
    transfer_id: `t${index}`,
    batch: { key: 'batch-key', size: 2 },
  });
  const stored = (statuses: string[], batch_ids: Array<string | null> = ['b', 'b']) =>
    new Map(
      statuses.map((status, index) => [
        `t${index}`,
        row(status, { id: `t${index}`, batch_id: batch_ids[index] ?? null }),
      ]),
    );
  const run = (rows: Map<string, TransferRow>) => {
    const violations: string[] = [];
    const outcomes = checkAtomicBatches([member(0), member(1)], rows, (kind) => violations.push(kind));
    return { violations, outcomes };
  };

  it('accepts a batch that posted whole or was rejected whole', () => {
    expect(run(stored(['posted', 'posted']))).toEqual({ violations: [], outcomes: { posted: 1 } });
    expect(run(stored(['rejected', 'rejected']))).toEqual({ violations: [], outcomes: { rejected: 1 } });
  });

  it('flags a batch that posted in part, or whose transfers do not share one batch id', () => {
    expect(run(stored(['posted', 'rejected'])).violations).toEqual(['atomic_batch_split']);
    expect(run(stored(['posted', 'posted'], ['b', 'c'])).violations).toEqual(['batch_not_recorded']);
    expect(run(stored(['posted', 'posted'], [null, null])).violations).toEqual(['batch_not_recorded']);
  });
});

describe('matchesRequest', () => {
  const movement = (kind: 'deposit' | 'withdrawal'): TransferRecord => ({
    ...record(),
    kind,
    body: { account_id: 'a', amount: '25.00', currency: 'USD', description: 'chaos-0-key' },
  });

  it('matches a transfer stored as it was sent, a hold as a hold', () => {
    expect(matchesRequest(record(), row('posted'))).toBe(true);
    expect(matchesRequest(record(), row('posted', { hold: false }))).toBe(false);
    expect(matchesRequest(record(), row('posted', { amount: '25.0100' }))).toBe(false);
    expect(matchesRequest(record(), row('posted', { destination_account_id: 'c' }))).toBe(false);
  });

  it('matches a deposit that credits, and a withdrawal that debits, the account it names', () => {
    expect(
      matchesRequest(
        movement('deposit'),
        row('posted', {
          kind: 'deposit',
          hold: false,
          source_account_id: 'settlement',
          destination_account_id: 'a',
        }),
      ),
    ).toBe(true);
    expect(
      matchesRequest(
        movement('withdrawal'),
        row('posted', {
          kind: 'withdrawal',
          hold: false,
          source_account_id: 'a',
          destination_account_id: 'settlement',
        }),
      ),
    ).toBe(true);
    // Money the wrong way round, or a withdrawal stored as a deposit, is not what was asked for.
    expect(
      matchesRequest(
        movement('deposit'),
        row('posted', {
          kind: 'deposit',
          hold: false,
          source_account_id: 'a',
          destination_account_id: 'settlement',
        }),
      ),
    ).toBe(false);
    expect(
      matchesRequest(
        movement('withdrawal'),
        row('posted', {
          kind: 'deposit',
          hold: false,
          source_account_id: 'a',
          destination_account_id: 'settlement',
        }),
      ),
    ).toBe(false);
  });
});
