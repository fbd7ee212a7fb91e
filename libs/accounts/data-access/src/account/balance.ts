import { Decimal, formatAmount } from '@ledgerline/money';

/** An account's balance as decimal strings with the currency's minor units. */
export interface Balance {
  /** posted credits - posted debits. */
  posted: string;
  pending_debits: string;
  pending_credits: string;
  /** posted - pending debits + overdraft limit: what the account can still send. */
  available: string;
}

/** The balance columns of an account row; anything with `toFixed()` (Prisma or money Decimals, strings). */
export interface BalanceColumns {
  posted_debits: DecimalLike;
  posted_credits: DecimalLike;
  pending_debits: DecimalLike;
  pending_credits: DecimalLike;
  overdraft_limit: DecimalLike;
}

export type DecimalLike = string | { toFixed(): string };

/** Reads a NUMERIC value into the money Decimal. `toFixed()` never uses exponent notation. */
export function toDecimal(value: DecimalLike): Decimal {
  return new Decimal(typeof value === 'string' ? value : value.toFixed());
}

/** Computes the contract's balance from an account row, formatted for `currency`. */
export function computeBalance(columns: BalanceColumns, currency: string): Balance {
  const posted = toDecimal(columns.posted_credits).minus(toDecimal(columns.posted_debits));
  const pendingDebits = toDecimal(columns.pending_debits);
  const available = posted.minus(pendingDebits).plus(toDecimal(columns.overdraft_limit));
  return {
    posted: formatAmount(posted, currency),
    pending_debits: formatAmount(pendingDebits, currency),
    pending_credits: formatAmount(toDecimal(columns.pending_credits), currency),
    available: formatAmount(available, currency),
  };
}
