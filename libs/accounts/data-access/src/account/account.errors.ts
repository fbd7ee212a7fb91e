/** Why opening an account failed. Each names the request field at fault (see `ACCOUNT_OPEN_ERROR_FIELD`). */
export const ACCOUNT_OPEN_ERRORS = [
  'customer_not_found',
  'unknown_currency',
  'invalid_overdraft_limit',
  'invalid_metadata',
] as const;
export type AccountOpenError = (typeof ACCOUNT_OPEN_ERRORS)[number];

/** The input field each open error is about, for validation problem `errors[].path`. */
export const ACCOUNT_OPEN_ERROR_FIELD: Record<
  AccountOpenError,
  'customer_id' | 'currency' | 'overdraft_limit' | 'metadata'
> = {
  customer_not_found: 'customer_id',
  unknown_currency: 'currency',
  invalid_overdraft_limit: 'overdraft_limit',
  invalid_metadata: 'metadata',
};

/**
 * Why a status change (freeze, unfreeze, close) failed.
 * - `not_found`: no such account in the caller's scope.
 * - `invalid_state`: the transition is not allowed from the current status (or on a settlement account).
 * - `account_not_empty`: close needs a zero posted balance and no pending holds in either direction.
 */
export const ACCOUNT_CHANGE_ERRORS = ['not_found', 'invalid_state', 'account_not_empty'] as const;
export type AccountChangeError = (typeof ACCOUNT_CHANGE_ERRORS)[number];

/** Why a balance or statement query failed. */
export const ACCOUNT_QUERY_ERRORS = ['not_found'] as const;
export type AccountQueryError = (typeof ACCOUNT_QUERY_ERRORS)[number];
