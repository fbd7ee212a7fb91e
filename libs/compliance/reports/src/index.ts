/**
 * Compliance batch reports: requests, the four report runners, CSV output.
 *
 * - {@link createReportService}: what the compliance API calls. `request` writes the report (`queued`)
 *   and its `run-report` outbox row in one statement; `get` reads it without its content; `download`
 *   returns a completed report's CSV (`invalid_state` before that).
 * - {@link createReportRunner}: what the compliance worker's `reports` queue calls. `run` moves a report
 *   to `running`, reads in keyset pages with progress, and stores the CSV and summary with `completed`
 *   in one conditional statement; it is safe to run again. `markFailed` after a job's last attempt.
 * - The reports (`type`): `ctr` (currency transaction report), `structuring`, `sanctions_rescreen`
 *   (through an injected {@link SanctionsRescreen}) and `reconciliation` (the ledger's invariants).
 *   {@link REPORT_CSV_COLUMNS} names each one's columns; each summary type says what its figures mean.
 *
 * Reports only read the ledger; the sanctions rescreen also sets customers' sanctions status through
 * the sanctions library. Amounts in the CSV are NUMERIC text as Postgres gives them; amounts in
 * summaries have the currency's minor units, as the API writes amounts.
 */
export {
  createReportService,
  reportFilename,
  type ReportDownload,
  type ReportDownloadError,
  type ReportError,
  type ReportRequest,
  type ReportRequestError,
  type ReportService,
  type ReportServiceOptions,
} from './report/report.service';
export { checkReportPeriod, REPORT_LIMITS, type ReportPeriod } from './report/report-period';
export {
  REPORT_FAILURE_MESSAGES,
  REPORT_FAILURE_REASONS,
  REPORT_STATUSES,
  REPORT_TYPES,
  type CashTotals,
  type CtrSummary,
  type ReconciliationSummary,
  type Report,
  type ReportFailureReason,
  type ReportOutcome,
  type ReportStatus,
  type ReportSummary,
  type ReportType,
  type SanctionsRescreenSummary,
  type StructuringSummary,
} from './report/report.types';
export {
  createReportRunner,
  REPORT_CSV_COLUMNS,
  REPORT_RUNNER_LIMITS,
  type ReportRunner,
  type ReportRunnerOptions,
  type ReportRunResult,
} from './runner/report-runner';
export type { SanctionsRescreen } from './sanctions/sanctions-rescreen';
