/** Where a compliance case stands: open until an officer approves or rejects it. */
export type CaseStatus = 'open' | 'approved' | 'rejected';
export const CASE_STATUSES: readonly CaseStatus[] = ['open', 'approved', 'rejected'];

/** One rule that matched when screening held the transfer. */
export interface CaseHit {
  rule: string;
  detail: string;
}

/** A compliance case as officers see it. */
export interface ComplianceCase {
  id: string;
  /** The held transfer; for an atomic batch, its first transfer. */
  transfer_id: string;
  /** Set when the case holds a whole atomic batch, which is decided as one. */
  batch_id: string | null;
  status: CaseStatus;
  hits: CaseHit[];
  created_at: Date;
  decided_at: Date | null;
  /** The client id of the officer who decided. */
  decided_by: string | null;
  note: string | null;
}

/** A case to open beside a hold (see `openCasesInsert`). */
export interface NewCase {
  id: string;
  transfer_id: string;
  batch_id: string | null;
  hits: readonly CaseHit[];
}

export type CaseDecision = 'approve' | 'reject';

export interface DecideCaseInput {
  case_id: string;
  decision: CaseDecision;
  note: string;
  /** The deciding officer's client id. */
  decided_by: string;
  /** Carried into the ledger job that an approval queues. */
  request_id: string;
}

/** Why a decision was refused; nothing changed. */
export type CaseDecisionError = 'not_found' | 'already_decided';

/** Bounds of what officers send and list. */
export const CASE_LIMITS = { note_length_max: 2_000, list_limit_max: 200 } as const;
