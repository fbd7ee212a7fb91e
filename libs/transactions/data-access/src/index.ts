/**
 * Transfers: accepting money movements with idempotency and the transactional outbox, hold commands
 * (capture, void), reversals and transfer queries.
 *
 * - {@link createTransferService}: the service factory (`{ db, logger? }` plus bounds). Every money-moving
 *   method takes a {@link MoneyCommand} (caller, request id, Idempotency-Key, what the request hash covers)
 *   and returns a {@link CommandResult}: the exact response to send (fresh or replayed), or a typed
 *   {@link TransferError} that wrote nothing.
 * - {@link runIdempotent}, {@link requestHash}, {@link canonicalJson}, {@link advisoryLockKey}: the
 *   idempotency building blocks, for other services that accept keyed requests.
 * - {@link purgeExpiredIdempotencyKeys}: bounded cleanup for a sweeper.
 * - {@link TransferView}: the contract's Transfer, as the service renders it.
 */
export {
  createTransferService,
  type TransferService,
  type TransferServiceOptions,
  type TransferServiceLogger,
} from './transfer/transfer.service';
export {
  TRANSFER_ERRORS,
  TRANSFER_STATUSES,
  FINAL_STATUSES,
  type BatchView,
  type Caller,
  type CaptureInput,
  type CommandResult,
  type CreateBatchInput,
  type CreateTransferInput,
  type FieldError,
  type ListTransfersQuery,
  type MoneyCommand,
  type Page,
  type QueryResult,
  type ReverseInput,
  type SettlementTransferInput,
  type TransferError,
  type TransferFailure,
  type TransferKind,
  type TransferStatus,
  type TransferView,
} from './transfer/transfer.types';
export { LIMITS as TRANSFER_LIMITS } from './transfer/transfer.validation';
export {
  IDEMPOTENCY_TTL_SECONDS_MIN,
  advisoryLockKey,
  canonicalJson,
  purgeExpiredIdempotencyKeys,
  requestHash,
  runIdempotent,
  type IdempotencyOutcome,
  type IdempotencyScope,
  type IdempotentRequest,
  type StoredResponse,
  type WorkResult,
} from './idempotency/idempotency';
