import type { ReportOutcome } from './report.types';

const DAY_MS = 24 * 60 * 60 * 1_000;

/** Bounds of a report request. The span bound is also a CHECK on `compliance_reports`. */
export const REPORT_LIMITS = {
  /** The longest period one report covers: a year, leap day included. */
  period_days_max: 366,
} as const;

/** A report's period: `[from, to)`, instants in UTC. */
export interface ReportPeriod {
  from: Date;
  to: Date;
}

/**
 * Checks a requested period: two valid instants, `from` before `to`, at most
 * {@link REPORT_LIMITS.period_days_max} days apart. Field paths point into the request body.
 */
export function checkReportPeriod(
  from: string,
  to: string,
): ReportOutcome<ReportPeriod, 'validation_failed'> {
  const period = { from: new Date(from), to: new Date(to) };
  const errors: Array<{ path: string; message: string }> = [];
  if (Number.isNaN(period.from.getTime()))
    errors.push({ path: '/from', message: 'must be an ISO 8601 timestamp' });
  if (Number.isNaN(period.to.getTime()))
    errors.push({ path: '/to', message: 'must be an ISO 8601 timestamp' });
  if (errors.length === 0) {
    const span_ms = period.to.getTime() - period.from.getTime();
    if (span_ms <= 0) errors.push({ path: '/to', message: 'must be later than from' });
    else if (span_ms > REPORT_LIMITS.period_days_max * DAY_MS)
      errors.push({
        path: '/to',
        message: `must be at most ${REPORT_LIMITS.period_days_max} days after from`,
      });
  }
  if (errors.length > 0)
    return { ok: false, error: 'validation_failed', message: 'The report period is not valid.', errors };
  return { ok: true, value: period };
}
