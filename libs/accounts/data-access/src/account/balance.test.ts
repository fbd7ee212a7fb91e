import { describe, expect, it } from 'vitest';
import { computeBalance } from './balance';

describe('computeBalance', () => {
  it('derives posted and available from the row', () => {
    const balance = computeBalance(
      {
        posted_credits: '150.5',
        posted_debits: '20.25',
        pending_debits: '10',
        pending_credits: '3',
        overdraft_limit: '50',
      },
      'USD',
    );
    expect(balance).toEqual({
      posted: '130.25',
      pending_debits: '10.00',
      pending_credits: '3.00',
      available: '170.25',
    });
  });

  it("uses the currency's minor units", () => {
    const zero = {
      posted_credits: '0',
      posted_debits: '0',
      pending_debits: '0',
      pending_credits: '0',
      overdraft_limit: '0',
    };
    expect(computeBalance(zero, 'JPY').posted).toBe('0');
    expect(computeBalance(zero, 'KWD').available).toBe('0.000');
  });

  it('goes negative for settlement accounts', () => {
    const balance = computeBalance(
      {
        posted_credits: '0',
        posted_debits: '1000000000000000000000',
        pending_debits: '0',
        pending_credits: '0',
        overdraft_limit: '0',
      },
      'EUR',
    );
    expect(balance.posted).toBe('-1000000000000000000000.00');
    expect(balance.available).toBe('-1000000000000000000000.00');
  });
});
