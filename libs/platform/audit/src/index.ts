/**
 * The audit trail: one hash-chained `audit_records` row per mutating request ({@link auditPlugin}),
 * and {@link verifyAuditChain} to prove no record was changed or removed since.
 */
export { auditPlugin, auditEntryOf, type AuditPluginOptions, type AuditEntry } from './plugin/audit-plugin';
export { verifyAuditChain, type AuditChainVerification, type VerifyAuditChainOptions } from './verify/verify-chain';
