/**
 * Compliance cases: the transfers (and atomic batches) screening held, and the officers' decisions.
 *
 * - {@link openCasesInsert}: the statement that opens cases, embedded by screening in the statement that
 *   holds the transfers, so a hold and its case exist together or not at all.
 * - {@link createCaseService}: `list` (keyset pages, oldest first) and `decide` (approve: the transfer
 *   moves on to the ledger; reject: it is rejected with `compliance_rejected`), each decision in one
 *   transaction and refused once a case is decided.
 */
export {
  createCaseService,
  type CaseService,
  type CaseQuery,
  type CasePage,
  type DecideCaseResult,
} from './case/case.service';
export { openCasesInsert } from './case/open-cases';
export {
  CASE_LIMITS,
  CASE_STATUSES,
  type CaseDecision,
  type CaseDecisionError,
  type CaseHit,
  type CaseStatus,
  type ComplianceCase,
  type DecideCaseInput,
  type NewCase,
} from './case/case.types';
