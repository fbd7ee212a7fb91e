import { newRowId, Prisma, type Database } from '@ledgerline/db';
import { jobs, outboxInsert } from '@ledgerline/queue';
import { checkReportPeriod } from './report-period';
import {
  REPORT_FAILURE_MESSAGES,
  type Report,
  type ReportFailureReason,
  type ReportOutcome,
  type ReportStatus,
  type ReportSummary,
  type ReportType,
} from './report.types';

/** What a compliance officer asks for; `from` and `to` as the request carried them (ISO 8601). */
export interface ReportRequest {
  type: ReportType;
  from: string;
  to: string;
  /** The API client asking (`sub` of its token). */
  requested_by: string;
  /** The request's id; it travels with the job and its log lines. */
  request_id: string;
}

/** A completed report's CSV and the file name to offer it under. */
export interface ReportDownload {
  filename: string;
  content: string;
}

export type ReportRequestError = 'validation_failed';
export type ReportDownloadError = 'not_found' | 'invalid_state';
/** Every error of the report service, for a route's `Record<ReportError, ProblemCode>`. */
export type ReportError = ReportRequestError | ReportDownloadError;

export interface ReportService {
  /** Writes the report (`queued`) and its `run-report` outbox row in one statement. */
  request(request: ReportRequest): Promise<ReportOutcome<Report, ReportRequestError>>;
  /** The report without its content, or null when there is none with this id. */
  get(report_id: string): Promise<Report | null>;
  /** The CSV of a completed report; `invalid_state` while it is queued, running or failed. */
  download(report_id: string): Promise<ReportOutcome<ReportDownload, ReportDownloadError>>;
}

export interface ReportServiceOptions {
  db: Database;
}

interface ReportRow {
  id: string;
  type: ReportType;
  status: ReportStatus;
  progress: number;
  summary: ReportSummary | null;
  period_from: Date;
  period_to: Date;
  requested_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  content_bytes: number | null;
  failure_reason: ReportFailureReason | null;
}

/** Everything but the content (which may be megabytes) and the operators' error message. */
const REPORT_COLUMNS = Prisma.sql`
  id::text AS id, type::text AS type, status::text AS status, progress::int AS progress, summary,
  period_from, period_to, requested_by, created_at, started_at, finished_at, content_bytes, failure_reason`;

/** Builds the service the compliance API uses to request, read and download reports. */
export function createReportService(options: ReportServiceOptions): ReportService {
  const { db } = options;

  return {
    async request(request) {
      const period = checkReportPeriod(request.from, request.to);
      if (!period.ok) return period;
      const id = newRowId();
      // One statement, so the job exists if and only if the report row does (the relay publishes it).
      const rows = await db.$queryRaw<ReportRow[]>(Prisma.sql`
        WITH queued AS (${outboxInsert([jobs.runReport(id, request.request_id)])})
        INSERT INTO compliance_reports (id, type, period_from, period_to, requested_by, request_id)
        VALUES (${id}::uuid, ${request.type}::compliance_report_type, ${period.value.from}::timestamptz,
                ${period.value.to}::timestamptz, ${request.requested_by}, ${request.request_id})
        RETURNING ${REPORT_COLUMNS}`);
      const [row] = rows;
      if (row === undefined) throw new Error('inserting a report returned no row');
      return { ok: true, value: reportOf(row) };
    },

    async get(report_id) {
      const rows = await db.$queryRaw<ReportRow[]>(Prisma.sql`
        SELECT ${REPORT_COLUMNS} FROM compliance_reports WHERE id = ${report_id}::uuid`);
      const [row] = rows;
      return row === undefined ? null : reportOf(row);
    },

    async download(report_id) {
      const rows = await db.$queryRaw<
        Array<{
          type: ReportType;
          status: ReportStatus;
          period_from: Date;
          period_to: Date;
          content: string | null;
        }>
      >(Prisma.sql`
        SELECT type::text AS type, status::text AS status, period_from, period_to, content
          FROM compliance_reports WHERE id = ${report_id}::uuid`);
      const [row] = rows;
      if (row === undefined) return { ok: false, error: 'not_found', message: 'No such report.' };
      if (row.status !== 'completed' || row.content === null) {
        return {
          ok: false,
          error: 'invalid_state',
          message: `The report is ${row.status}; it can be downloaded once it is completed.`,
        };
      }
      return {
        ok: true,
        value: {
          filename: reportFilename(report_id, row.type, row.period_from, row.period_to),
          content: row.content,
        },
      };
    },
  };
}

function reportOf(row: ReportRow): Report {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    progress: row.progress,
    summary: row.summary,
    from: row.period_from,
    to: row.period_to,
    requested_by: row.requested_by,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    content_bytes: row.content_bytes,
    error: row.failure_reason === null ? null : REPORT_FAILURE_MESSAGES[row.failure_reason],
  };
}

/** `ledgerline-ctr-2026-01-01-2026-02-01-<id>.csv`: the type and the period's UTC dates, then the id. */
export function reportFilename(report_id: string, type: ReportType, from: Date, to: Date): string {
  const day = (instant: Date) => instant.toISOString().slice(0, 10);
  return `ledgerline-${type}-${day(from)}-${day(to)}-${report_id}.csv`;
}
