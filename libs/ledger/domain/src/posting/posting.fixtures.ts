import { Decimal } from '@ledgerline/money';
import type { AccountState, TransferState } from './posting.types';

// In-memory builders for the domain's tests. Ids are readable strings: the domain never parses them.

export function accountState(overrides: Partial<AccountState> & { id: string }): AccountState {
  return {
    currency: 'USD',
    kind: 'checking',
    status: 'active',
    overdraft_limit: new Decimal(0),
    posted_debits: new Decimal(0),
    posted_credits: new Decimal(0),
    pending_debits: new Decimal(0),
    pending_credits: new Decimal(0),
    last_entry_sequence: 0n,
    ...overrides,
  };
}

export function transferState(
  overrides: Partial<TransferState> & {
    id: string;
    source_account_id: string;
    destination_account_id: string;
  },
): TransferState {
  return {
    kind: 'transfer',
    amount: new Decimal('10.00'),
    currency: 'USD',
    status: 'approved',
    status_reason: null,
    hold: false,
    hold_action: null,
    hold_action_amount: null,
    hold_expires_at: null,
    captured_amount: null,
    posted_at: null,
    batch_id: null,
    batch_atomic: false,
    description: null,
    ...overrides,
  };
}
