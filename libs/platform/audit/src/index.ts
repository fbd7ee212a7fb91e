/**
 * The audit trail: one `audit_records` row per mutating request ({@link auditPlugin}), chained by hash
 * after it commits ({@link startAuditSealer}), and {@link verifyAuditChain} to prove no sealed record
 * was changed or removed since.
 */
export {
  auditEntryOf,
  auditInsert,
  claimedAuditInsert,
  auditPlugin,
  markAuditedInTransaction,
  type AuditEntry,
  type AuditPluginOptions,
} from './plugin/audit-plugin';
export {
  sealAuditRecords,
  startAuditSealer,
  type AuditSealer,
  type AuditSealerLogger,
  type AuditSealerOptions,
  type SealingDatabase,
} from './sealer/seal';
export {
  verifyAuditChain,
  type AuditChainVerification,
  type VerifyAuditChainOptions,
} from './verify/verify-chain';
