import { Prisma, type Database } from '@ledgerline/db';
import { DEFAULT_COMPLIANCE_THRESHOLDS, type ComplianceThresholds } from '@ledgerline/screening';
import { ctrReport } from '../ctr/ctr-report';
import { RECONCILIATION_COLUMNS, reconciliationReport } from '../reconciliation/reconciliation-report';
import type { ReportFailureReason, ReportStatus, ReportSummary, ReportType } from '../report/report.types';
import { SANCTIONS_RESCREEN_COLUMNS, sanctionsRescreenReport } from '../sanctions/sanctions-report';
import type { SanctionsRescreen } from '../sanctions/sanctions-rescreen';
import { structuringReport } from '../structuring/structuring-report';
import { createCsvWriter, ReportTooLargeError } from './csv-writer';
import type { ReportDefinition } from './report-context';

/** Defaults and bounds of the runner's options. */
export const REPORT_RUNNER_LIMITS = {
  content_bytes_max_default: 16 * 1024 * 1024,
  /** The `compliance_reports_content_bytes` CHECK. */
  content_bytes_max_ceiling: 64 * 1024 * 1024,
  customers_page_size_default: 500,
  rows_page_size_default: 1_000,
  page_size_max: 10_000,
  violations_max_default: 1_000,
  reconciliation_timeout_ms_default: 300_000,
  /** Operators' error messages are cut to the column's length. */
  error_message_length_max: 2_000,
} as const;

/** The CSV columns of each report, in order (the first line of every download). */
export const REPORT_CSV_COLUMNS: Readonly<Record<ReportType, readonly string[]>> = {
  ctr: ctrReport.columns,
  structuring: structuringReport.columns,
  sanctions_rescreen: SANCTIONS_RESCREEN_COLUMNS,
  reconciliation: RECONCILIATION_COLUMNS,
};

export interface ReportRunnerOptions {
  db: Database;
  /** Default: the contract's defaults. */
  thresholds?: ComplianceThresholds;
  /** The sanctions library's rescreening; without it a `sanctions_rescreen` report fails as unavailable. */
  sanctions: SanctionsRescreen | null;
  /** A report whose CSV would be larger fails (`too_large`) instead of growing the worker's memory. Default 16 MiB, at most 64 MiB. */
  content_bytes_max?: number;
  /** Customers read per range (default 500) and rows per query (default 1,000); each at most 10,000. */
  customers_page_size?: number;
  rows_page_size?: number;
  /** Reconciliation: violations listed per check (default 1,000) and the ledger check's time bound (default 300 s). */
  violations_max?: number;
  reconciliation_timeout_ms?: number;
}

/**
 * What a run did:
 * - `completed`: this run stored the CSV and the summary;
 * - `already_completed`: an earlier (or concurrent) delivery completed it; nothing changed;
 * - `failed`: the report can never succeed as asked (too large, sanctions unavailable); it is marked failed;
 * - `not_found`: no report has this id.
 */
export type ReportRunResult =
  | { outcome: 'completed'; type: ReportType; rows: number; content_bytes: number; summary: ReportSummary }
  | { outcome: 'already_completed' }
  | { outcome: 'failed'; reason: Exclude<ReportFailureReason, 'internal'>; message: string }
  | { outcome: 'not_found' };

export interface ReportRunner {
  /**
   * Runs a report from the start: `queued | running | failed -> running`, the report's reads in keyset
   * pages with progress, then the CSV, the summary and `completed` in one statement conditional on the
   * report not being completed. Safe to run again: reports only read, so a redelivery after a crash
   * runs it again, and a run that finds it completed changes nothing. Throws on infrastructure
   * failures (the job retries); call {@link markFailed} after the last attempt.
   */
  run(report_id: string): Promise<ReportRunResult>;
  /** Marks a report that is not completed `failed`; `message` is for operators. False when nothing changed. */
  markFailed(report_id: string, reason: ReportFailureReason, message: string): Promise<boolean>;
}

interface StartedReport {
  type: ReportType;
  period_from: Date;
  period_to: Date;
}

/** Builds the runner the compliance worker's `reports` queue calls. */
export function createReportRunner(options: ReportRunnerOptions): ReportRunner {
  const { db } = options;
  const limits = REPORT_RUNNER_LIMITS;
  const content_bytes_max = bounded(
    'content_bytes_max',
    options.content_bytes_max ?? limits.content_bytes_max_default,
    1_024,
    limits.content_bytes_max_ceiling,
  );
  const pages = {
    customers: bounded(
      'customers_page_size',
      options.customers_page_size ?? limits.customers_page_size_default,
      1,
      limits.page_size_max,
    ),
    rows: bounded(
      'rows_page_size',
      options.rows_page_size ?? limits.rows_page_size_default,
      1,
      limits.page_size_max,
    ),
  };
  const thresholds = options.thresholds ?? DEFAULT_COMPLIANCE_THRESHOLDS;
  const reconciliation = reconciliationReport({
    violations_max: bounded(
      'violations_max',
      options.violations_max ?? limits.violations_max_default,
      1,
      100_000,
    ),
    timeout_ms: options.reconciliation_timeout_ms ?? limits.reconciliation_timeout_ms_default,
  });

  function definitionOf(type: ReportType): ReportDefinition | null {
    switch (type) {
      case 'ctr':
        return ctrReport;
      case 'structuring':
        return structuringReport;
      case 'reconciliation':
        return reconciliation;
      case 'sanctions_rescreen':
        return options.sanctions === null ? null : sanctionsRescreenReport(options.sanctions);
    }
  }

  async function markFailed(
    report_id: string,
    reason: ReportFailureReason,
    message: string,
  ): Promise<boolean> {
    const changed = await db.$executeRaw`
      UPDATE compliance_reports
         SET status = 'failed', failure_reason = ${reason}, finished_at = now(),
             error_message = ${message.slice(0, limits.error_message_length_max)}
       WHERE id = ${report_id}::uuid AND status IN ('queued', 'running')`;
    return changed > 0;
  }

  async function failPermanently(
    report_id: string,
    reason: Exclude<ReportFailureReason, 'internal'>,
    message: string,
  ): Promise<ReportRunResult> {
    await markFailed(report_id, reason, message);
    return { outcome: 'failed', reason, message };
  }

  return {
    markFailed,

    async run(report_id) {
      const started = await start(db, report_id);
      if (started === 'not_found' || started === 'already_completed') return { outcome: started };
      const definition = definitionOf(started.type);
      if (definition === null)
        return failPermanently(
          report_id,
          'sanctions_unavailable',
          'no sanctions rescreening is configured in this worker',
        );

      const csv = createCsvWriter(definition.columns, content_bytes_max);
      let stored_percent = 0;
      let summary: ReportSummary;
      try {
        summary = await definition.run({
          db,
          period: { from: started.period_from, to: started.period_to },
          thresholds,
          csv,
          pages,
          async progress(fraction) {
            // 100 is written only with the content; a progress write after completion changes nothing.
            const percent = Math.max(0, Math.min(99, Math.floor(fraction * 100)));
            if (percent <= stored_percent) return;
            stored_percent = percent;
            await db.$executeRaw`
              UPDATE compliance_reports SET progress = ${percent}::smallint
               WHERE id = ${report_id}::uuid AND status = 'running'`;
          },
        });
      } catch (error) {
        if (error instanceof ReportTooLargeError)
          return failPermanently(report_id, 'too_large', error.message);
        throw error;
      }

      const content = csv.content();
      // Conditional on not completed: of two deliveries running at once, the first to finish stores its CSV.
      const completed = await db.$executeRaw(Prisma.sql`
        UPDATE compliance_reports
           SET status = 'completed', progress = 100, summary = ${JSON.stringify(summary)}::jsonb,
               content = ${content}, content_bytes = ${csv.bytes}::int, finished_at = now(),
               failure_reason = NULL, error_message = NULL
         WHERE id = ${report_id}::uuid AND status <> 'completed'`);
      if (completed === 0) return { outcome: 'already_completed' };
      return { outcome: 'completed', type: started.type, rows: csv.rows, content_bytes: csv.bytes, summary };
    },
  };
}

/**
 * `queued | running | failed -> running`, from the start: a `running` report is one whose delivery
 * died (the job was handed to this one), a `failed` one an operator's retry of its failed job.
 */
async function start(
  db: Database,
  report_id: string,
): Promise<StartedReport | 'not_found' | 'already_completed'> {
  const rows = await db.$queryRaw<StartedReport[]>`
    UPDATE compliance_reports
       SET status = 'running', progress = 0, runs = runs + 1, started_at = now(), finished_at = NULL,
           failure_reason = NULL, error_message = NULL
     WHERE id = ${report_id}::uuid AND status <> 'completed'
    RETURNING type::text AS type, period_from, period_to`;
  const [row] = rows;
  if (row !== undefined) return row;
  const found = await db.$queryRaw<Array<{ status: ReportStatus }>>`
    SELECT status::text AS status FROM compliance_reports WHERE id = ${report_id}::uuid`;
  return found.length === 0 ? 'not_found' : 'already_completed';
}

function bounded(name: string, value: number, minimum: number, maximum: number): number {
  if (!Number.isInteger(value) || value < minimum || value > maximum)
    throw new RangeError(`${name} must be an integer in ${minimum}..${maximum}`);
  return value;
}
