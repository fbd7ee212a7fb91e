/**
 * Screening: the compliance gate between accepting a transfer and posting it.
 *
 * - {@link createScreeningService}: `screen(transfer_id)` moves a transfer `received -> screening ->
 *   approved | held | rejected`, `screenBatch(batch_id)` does the same for every transfer of an atomic
 *   batch at once. Both use conditional updates and are safe to run again for the same transfer.
 * - {@link ScreeningRules}: the rules hook. Today {@link approveAllRules} approves everything; the AML
 *   thresholds and sanctions matching of the compliance work plug in here.
 */
export {
  createScreeningService,
  type ScreeningService,
  type ScreeningServiceOptions,
  type ScreenResult,
  type ScreenOutcome,
} from './screening/screening.service';
export {
  approveAllRules,
  combineDecisions,
  type ScreeningRules,
  type ScreeningDecision,
  type ScreeningHit,
  type ScreeningRejectReason,
  type ScreenedTransfer,
} from './screening/screening.rules';
export {
  ComplianceRulesConfigSchema,
  complianceThresholdsFromConfig,
  DEFAULT_COMPLIANCE_THRESHOLDS,
  type ComplianceRulesConfig,
  type ComplianceThresholds,
} from './thresholds/compliance-thresholds';
