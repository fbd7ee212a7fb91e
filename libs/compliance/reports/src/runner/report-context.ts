import type { Database } from '@ledgerline/db';
import type { ComplianceThresholds } from '@ledgerline/screening';
import type { ReportPeriod } from '../report/report-period';
import type { ReportSummary } from '../report/report.types';
import type { CsvWriter } from './csv-writer';

/** Bounds of the reads of one report: every query returns at most one page. */
export interface ReportPageSizes {
  /** Customers per range of customers a report reads at a time. */
  customers: number;
  /** Rows per query within a range. */
  rows: number;
}

/** What a report reads with and writes to while it runs. */
export interface ReportContext {
  db: Database;
  period: ReportPeriod;
  thresholds: ComplianceThresholds;
  csv: CsvWriter;
  pages: ReportPageSizes;
  /** Records how much of the report is done, as a fraction 0..1 (stored as 0..99 until it completes). */
  progress(fraction: number): Promise<void>;
}

/** One report: its CSV columns and how to fill them; it returns the summary stored with the CSV. */
export interface ReportDefinition<S extends ReportSummary = ReportSummary> {
  columns: readonly string[];
  run(context: ReportContext): Promise<S>;
}
