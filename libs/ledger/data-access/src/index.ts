/**
 * The ledger's data access.
 *
 * - {@link createPostingEngine}: the only writer of journal entries and account balances. `advance`
 *   moves a batch of transfers through their due transitions in one lock-ordered Postgres transaction
 *   with a constant number of statements (the transfers that meet accounts another of its calls holds
 *   follow in a second one); `advanceAtomicBatch` does a whole batch, all or nothing.
 * - {@link createAdvanceBatcher}: groups concurrent per-job `submit`s into engine calls (for the
 *   ledger worker), falling back to one transfer at a time when a batch fails on bad data.
 * - {@link checkInvariants}: verifies double-entry invariants over the whole database.
 *
 * Test factories live in `src/testing` (`createLedgerFixtures`).
 */
export {
  createPostingEngine,
  type AdvanceResult,
  type PostingEngine,
  type PostingEngineOptions,
} from './posting-engine/posting-engine';
export {
  createAdvanceBatcher,
  type AdvanceBatcher,
  type AdvanceBatcherOptions,
} from './batcher/advance-batcher';
export {
  checkInvariants,
  type CheckInvariantsOptions,
  type InvariantReport,
  type InvariantViolation,
  type InvariantViolationKind,
} from './invariants/check-invariants';
export { SILENT_LOGGER, type LedgerLogger } from './logger';
