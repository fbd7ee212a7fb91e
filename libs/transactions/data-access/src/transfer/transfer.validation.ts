import { isCurrency, parseAmount } from '@ledgerline/money';
import type { CreateTransferInput, FieldError } from './transfer.types';

export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Bounds on what one request may carry (TIGER_STYLE: a limit on everything). */
export const LIMITS = {
  batch_size_max: 1000,
  description_length_max: 500,
  metadata_bytes_max: 4096,
  list_limit_default: 50,
  list_limit_max: 200,
  wait_seconds_max: 30,
  hold_expires_in_seconds_min: 1,
  /** Field errors reported for one request; the rest are summarised by the count. */
  field_errors_max: 50,
} as const;

/** A validated amount: the canonical decimal string to hand to SQL as `::numeric`. */
export type AmountCheck = { ok: true; amount: string } | { ok: false; error: FieldError };

export function checkAmount(amount: unknown, currency: string, path: string): AmountCheck {
  const parsed = parseAmount(amount, currency);
  if (!parsed.ok) return { ok: false, error: { path, message: parsed.message } };
  return { ok: true, amount: parsed.amount.toFixed() };
}

export function checkCurrency(currency: unknown, path: string): FieldError | undefined {
  if (isCurrency(currency)) return undefined;
  return { path, message: 'The currency must be a supported ISO 4217 code such as "USD".' };
}

export function checkUuid(value: unknown, path: string): FieldError | undefined {
  if (typeof value === 'string' && UUID_PATTERN.test(value)) return undefined;
  return { path, message: 'Must be a UUID.' };
}

export function checkDescription(value: unknown, path: string): FieldError | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.length <= LIMITS.description_length_max) return undefined;
  return { path, message: `Must be a string of at most ${LIMITS.description_length_max} characters.` };
}

export function checkMetadata(value: unknown, path: string): FieldError | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { path, message: 'Must be a JSON object.' };
  }
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > LIMITS.metadata_bytes_max) {
    return { path, message: `Must be at most ${LIMITS.metadata_bytes_max} bytes as JSON.` };
  }
  return undefined;
}

/** A transfer's fields after validation, ready for SQL. */
export interface CheckedTransfer {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  description: string | null;
  metadata: Record<string, unknown>;
  hold_expires_in_seconds: number | null;
}

/**
 * Checks everything about a transfer that needs no database: ids, currency, amount (per the currency's
 * minor units), distinct accounts, description, metadata, hold bounds. `prefix` is the JSON pointer of
 * the transfer in the body (`""` for a single transfer, `/transfers/3` in a batch).
 */
export function checkTransferFields(
  input: CreateTransferInput,
  prefix: string,
  hold_bounds: { default_seconds: number; max_seconds: number },
): { ok: true; value: CheckedTransfer } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const push = (error: FieldError | undefined) => {
    if (error !== undefined) errors.push(error);
  };
  push(checkUuid(input.source_account_id, `${prefix}/source_account_id`));
  push(checkUuid(input.destination_account_id, `${prefix}/destination_account_id`));
  if (
    typeof input.source_account_id === 'string' &&
    typeof input.destination_account_id === 'string' &&
    input.source_account_id.toLowerCase() === input.destination_account_id.toLowerCase()
  ) {
    errors.push({
      path: `${prefix}/destination_account_id`,
      message: 'The destination must differ from the source.',
    });
  }
  const currencyError = checkCurrency(input.currency, `${prefix}/currency`);
  push(currencyError);
  // Without a known currency there is no scale to check the amount against; the currency error says why.
  const amount =
    currencyError === undefined ? checkAmount(input.amount, input.currency, `${prefix}/amount`) : undefined;
  if (amount !== undefined && !amount.ok) errors.push(amount.error);
  push(checkDescription(input.description, `${prefix}/description`));
  push(checkMetadata(input.metadata, `${prefix}/metadata`));

  let hold_expires_in_seconds: number | null = null;
  if (input.hold === true) {
    const seconds = input.hold_expires_in_seconds ?? hold_bounds.default_seconds;
    if (
      !Number.isInteger(seconds) ||
      seconds < LIMITS.hold_expires_in_seconds_min ||
      seconds > hold_bounds.max_seconds
    ) {
      errors.push({
        path: `${prefix}/hold_expires_in_seconds`,
        message: `Must be a whole number of seconds from ${LIMITS.hold_expires_in_seconds_min} to ${hold_bounds.max_seconds}.`,
      });
    }
    hold_expires_in_seconds = seconds;
  } else if (input.hold_expires_in_seconds !== undefined) {
    errors.push({
      path: `${prefix}/hold_expires_in_seconds`,
      message: 'Only a hold (`"hold": true`) can expire.',
    });
  }

  if (errors.length > 0 || amount === undefined || !amount.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      source_account_id: input.source_account_id.toLowerCase(),
      destination_account_id: input.destination_account_id.toLowerCase(),
      amount: amount.amount,
      currency: input.currency,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      hold_expires_in_seconds,
    },
  };
}
