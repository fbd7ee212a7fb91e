/**
 * Screening: the compliance gate between accepting a transfer and posting it.
 *
 * - {@link createScreeningService}: `screen(transfer_id)` moves a transfer `received -> screening ->
 *   approved | held | rejected`, `screenBatch(batch_id)` does the same for every transfer of an atomic
 *   batch at once. Both use conditional updates and are safe to run again for the same transfer.
 *   A transfer it holds gets its compliance case (`@ledgerline/cases`) in the statement that holds it.
 * - {@link createAmlRules}: the contract's rules (large amount, structuring, velocity, high-risk
 *   country, sanctions), set-based, with thresholds from {@link ComplianceRulesConfigSchema}.
 * - {@link ScreeningRules}: the rules hook the service calls once per claimed set of transfers.
 */
export {
  createScreeningService,
  type ScreeningService,
  type ScreeningServiceOptions,
  type ScreenResult,
  type ScreenOutcome,
} from './screening/screening.service';
export {
  createAmlRules,
  type AmlRulesOptions,
  type CustomerSanctionsStanding,
  type SanctionsStandingSource,
  type SanctionsStatus,
} from './rules/aml-rules';
export {
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
