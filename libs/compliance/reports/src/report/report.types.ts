/** The four reports a compliance officer can ask for. */
export const REPORT_TYPES = ['ctr', 'structuring', 'sanctions_rescreen', 'reconciliation'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

/** `queued -> running -> completed | failed`; a redelivered or retried job may run a report again. */
export const REPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Why a report failed, stored as a code; clients see only {@link REPORT_FAILURE_MESSAGES}. */
export const REPORT_FAILURE_REASONS = ['too_large', 'sanctions_unavailable', 'internal'] as const;
export type ReportFailureReason = (typeof REPORT_FAILURE_REASONS)[number];

/** The one sentence a client sees for each failure; the operators' message stays in the database and logs. */
export const REPORT_FAILURE_MESSAGES: Record<ReportFailureReason, string> = {
  too_large: 'The report is larger than this deployment stores; request a shorter period.',
  sanctions_unavailable: 'Sanctions rescreening is not available in this deployment.',
  internal: 'The report could not be run. Request it again; if it fails again, ask an operator.',
};

/** Cash in and cash out totals of one currency, as decimal strings with the currency's minor units. */
export interface CashTotals {
  cash_in: string;
  cash_out: string;
}

/** `ctr`: the customer-days listed and the cash they moved. */
export interface CtrSummary {
  /** Rows of the CSV: (UTC day, customer, currency) with cash in or cash out >= `amount_min`. */
  rows: number;
  /** Distinct customers among the rows. */
  customers: number;
  /** The threshold the report applied (`COMPLIANCE_CTR_AMOUNT_MIN`). */
  amount_min: string;
  /** Per currency, the cash in and cash out of the listed rows. */
  totals: Record<string, CashTotals>;
}

/** `structuring`: the clusters found and the rule they match. */
export interface StructuringSummary {
  /** Rows of the CSV: one per cluster of one customer in one currency. */
  clusters: number;
  customers_flagged: number;
  /** Transfers in all clusters. */
  transfers: number;
  rule: { amount_min: string; amount_max: string; transfers_min: number; window_ms: number };
}

/** `sanctions_rescreen`: the rescreening's counts and the customers listed. */
export interface SanctionsRescreenSummary {
  /** False when no sanctions list was loaded: nothing was rescreened and nobody is listed. */
  list_loaded: boolean;
  list_version: number | null;
  /** What the rescreening reported (all zero without a list). */
  screened: number;
  clear: number;
  potential_match: number;
  confirmed_match: number;
  /** Customers whose status is not clear after the rescreening: the CSV lists them. */
  customers_listed: number;
  /** Transfers in the period those customers were party to, and their amounts per currency. */
  transfers: number;
  totals: Record<string, string>;
  /** A sentence for the reader when there is something to say (no list loaded). */
  note: string | null;
}

/** `reconciliation`: the ledger's checks and what they found. */
export interface ReconciliationSummary {
  /** True when every check passed. */
  ok: boolean;
  checks: number;
  checks_failed: number;
  /** Violations listed in the CSV (at most a bounded number per check, see `violations_truncated`). */
  violations: number;
  violations_truncated: boolean;
  book: { currencies: number; accounts: number; posted_transfers: number; entries: number };
  period: { posted_transfers: number; entries: number };
}

export type ReportSummary =
  CtrSummary | StructuringSummary | SanctionsRescreenSummary | ReconciliationSummary;

/** A report as the API shows it (without its content). */
export interface Report {
  id: string;
  type: ReportType;
  status: ReportStatus;
  /** 0 to 100; 100 once completed. */
  progress: number;
  /** Null until completed. */
  summary: ReportSummary | null;
  from: Date;
  to: Date;
  requested_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  /** Size of the CSV, once completed. */
  content_bytes: number | null;
  /** A safe sentence when the report failed (see {@link REPORT_FAILURE_MESSAGES}), else null. */
  error: string | null;
}

/** A business outcome: the value, or a typed error with a sentence fit for a client. */
export type ReportOutcome<T, E extends string> =
  | { ok: true; value: T }
  | { ok: false; error: E; message: string; errors?: Array<{ path: string; message: string }> };
