import type { AuditEntry } from '@ledgerline/audit';
import { FINAL_TRANSFER_STATUSES, type TransferKind, type TransferStatus } from '@ledgerline/ledger-domain';
import type { StoredResponse } from '../idempotency/idempotency';

/** The fields of an authenticated principal that decide what it may see and do. */
export interface Caller {
  readonly client_id: string;
  readonly role: string;
  /** Set for role `customer` only. */
  readonly customer_id?: string | null | undefined;
}

// The transfer lifecycle is the ledger's: one definition of statuses and kinds for the whole platform.
export { TRANSFER_STATUSES, type TransferKind, type TransferStatus } from '@ledgerline/ledger-domain';

/** Statuses a transfer never leaves. */
export const FINAL_STATUSES: ReadonlySet<TransferStatus> = FINAL_TRANSFER_STATUSES;

/** A transfer as the API shows it: decimal strings at the currency's scale, ISO timestamps, nulls where absent. */
export interface TransferView {
  id: string;
  kind: TransferKind;
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  status: TransferStatus;
  status_reason: string | null;
  description: string | null;
  metadata: Record<string, unknown>;
  hold: boolean;
  hold_expires_at: string | null;
  captured_amount: string | null;
  reverses_transfer_id: string | null;
  batch_id: string | null;
  created_at: string;
  updated_at: string;
  posted_at: string | null;
}

export interface BatchView {
  id: string;
  atomic: boolean;
  transfers: TransferView[];
}

export interface CreateTransferInput {
  source_account_id: string;
  destination_account_id: string;
  amount: unknown;
  currency: string;
  description?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  hold?: boolean | undefined;
  hold_expires_in_seconds?: number | undefined;
}

/** A deposit (settlement account -> `account_id`) or a withdrawal (`account_id` -> settlement account). */
export interface SettlementTransferInput {
  account_id: string;
  amount: unknown;
  currency: string;
  description?: string | undefined;
}

export interface CreateBatchInput {
  atomic?: boolean | undefined;
  /** Holds are not batched: each item is a plain transfer. */
  transfers: ReadonlyArray<Omit<CreateTransferInput, 'hold' | 'hold_expires_in_seconds'>>;
}

export interface CaptureInput {
  /** At most the held amount; absent means all of it. */
  amount?: unknown;
}

export interface ReverseInput {
  reason: string;
}

export interface ListTransfersQuery {
  account_id?: string | undefined;
  status?: TransferStatus | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** A request that moves money: who asks, under which idempotency key, and what the request hash covers. */
export interface MoneyCommand {
  caller: Caller;
  request_id: string;
  idempotency_key: string;
  request: { method: string; path: string; body: unknown };
  /**
   * Turns a response body into the exact bytes to send and store. The app passes its response-schema
   * serializer here so that what is stored for replay is exactly what the schema allows out;
   * defaults to `JSON.stringify`.
   */
  render?: ((status: number, body: unknown) => string) | undefined;
  /**
   * The request's audit record for a given response status. When present, a command that does its work
   * writes it in the same transaction (or statement) as the work: one commit, and no change without its
   * record. Replays and refusals write nothing here; the app's audit plugin records those.
   */
  audit_entry?: ((status: number) => AuditEntry) | undefined;
}

/** Business failures of the transfer service, mapped to problem codes by the app. */
export const TRANSFER_ERRORS = [
  'validation_failed',
  'not_found',
  'forbidden',
  'invalid_state',
  'idempotency_request_in_progress',
  'idempotency_key_reused',
] as const;
export type TransferError = (typeof TRANSFER_ERRORS)[number];

export interface FieldError {
  /** A JSON pointer into the request body, e.g. `/transfers/3/amount`. */
  path: string;
  message: string;
}

export interface TransferFailure {
  ok: false;
  error: TransferError;
  /** A sentence fit for the problem's `detail`. */
  message: string;
  /** For `validation_failed`: what was wrong, where. */
  errors?: FieldError[];
}

/** A money-moving command's outcome: the response to send (fresh or replayed), or a refusal that wrote nothing. */
export type CommandResult = { ok: true; response: StoredResponse; replayed: boolean } | TransferFailure;

export type QueryResult<T> = { ok: true; value: T } | TransferFailure;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
