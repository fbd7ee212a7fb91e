/**
 * Why the ledger refuses to move a transfer's money, in the order the checks run: an unusable account
 * first (closed, then frozen, on either side), then a currency that does not match, then funds.
 */
export const POSTING_REJECTIONS = [
  'account_closed',
  'account_frozen',
  'currency_mismatch',
  'insufficient_funds',
] as const;
export type PostingRejection = (typeof POSTING_REJECTIONS)[number];

/** Every `status_reason` the API contract allows on a rejected or voided transfer. */
export const STATUS_REASONS = [
  ...POSTING_REJECTIONS,
  'compliance_rejected',
  'sanctions_match',
  'hold_expired',
] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

const STATUS_REASON_SET: ReadonlySet<string> = new Set(STATUS_REASONS);

export function isStatusReason(value: string): value is StatusReason {
  return STATUS_REASON_SET.has(value);
}
