import { TimestampSchema, UuidSchema } from '@ledgerline/http';
import { REPORT_LIMITS, REPORT_STATUSES, REPORT_TYPES, type Report } from '@ledgerline/reports';
import Type, { type Static } from 'typebox';

const CurrencyKey = Type.String({ pattern: '^[A-Z]{3}$' });
const Amount = Type.String({
  description: 'A decimal string with the currency’s minor units.',
  examples: ['10000.00'],
});
const Count = Type.Integer({ minimum: 0 });

const CtrSummarySchema = Type.Object(
  {
    rows: Count,
    customers: Count,
    amount_min: Type.String({ description: 'The threshold applied (COMPLIANCE_CTR_AMOUNT_MIN).' }),
    totals: Type.Record(
      CurrencyKey,
      Type.Object({ cash_in: Amount, cash_out: Amount }, { additionalProperties: false }),
    ),
  },
  {
    additionalProperties: false,
    title: 'CtrSummary',
    description: 'ctr: customer-days listed, and their cash per currency.',
  },
);

const StructuringSummarySchema = Type.Object(
  {
    clusters: Count,
    customers_flagged: Count,
    transfers: Count,
    rule: Type.Object(
      { amount_min: Type.String(), amount_max: Type.String(), transfers_min: Count, window_ms: Count },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    title: 'StructuringSummary',
    description: 'structuring: clusters found and the rule applied.',
  },
);

const SanctionsRescreenSummarySchema = Type.Object(
  {
    list_loaded: Type.Boolean(),
    list_version: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    screened: Count,
    clear: Count,
    potential_match: Count,
    confirmed_match: Count,
    customers_listed: Count,
    transfers: Count,
    totals: Type.Record(CurrencyKey, Amount),
    note: Type.Union([Type.String(), Type.Null()]),
  },
  {
    additionalProperties: false,
    title: 'SanctionsRescreenSummary',
    description:
      'sanctions_rescreen: the rescreening’s counts, the customers listed and their transfers in the period.',
  },
);

const ReconciliationSummarySchema = Type.Object(
  {
    ok: Type.Boolean(),
    checks: Count,
    checks_failed: Count,
    violations: Count,
    violations_truncated: Type.Boolean(),
    book: Type.Object(
      { currencies: Count, accounts: Count, posted_transfers: Count, entries: Count },
      { additionalProperties: false },
    ),
    period: Type.Object({ posted_transfers: Count, entries: Count }, { additionalProperties: false }),
  },
  {
    additionalProperties: false,
    title: 'ReconciliationSummary',
    description: 'reconciliation: the ledger’s checks and their violations.',
  },
);

export const ReportSchema = Type.Object(
  {
    id: UuidSchema,
    type: Type.Enum(REPORT_TYPES),
    status: Type.Enum(REPORT_STATUSES),
    progress: Type.Integer({ minimum: 0, maximum: 100 }),
    summary: Type.Union([
      CtrSummarySchema,
      StructuringSummarySchema,
      SanctionsRescreenSummarySchema,
      ReconciliationSummarySchema,
      Type.Null(),
    ]),
    from: TimestampSchema,
    to: TimestampSchema,
    created_at: TimestampSchema,
    started_at: Type.Union([TimestampSchema, Type.Null()]),
    finished_at: Type.Union([TimestampSchema, Type.Null()]),
    content_bytes: Type.Union([Count, Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why a failed report failed, in one sentence.',
    }),
  },
  { description: 'A compliance report. `summary` is null until it is completed; the CSV is at /download.' },
);
export type ReportBody = Static<typeof ReportSchema>;

export const CreateReportBodySchema = Type.Object(
  {
    type: Type.Enum(REPORT_TYPES),
    from: TimestampSchema,
    to: Type.String({
      format: 'date-time',
      examples: ['2026-02-01T00:00:00.000Z'],
      description: `Exclusive; later than from and at most ${REPORT_LIMITS.period_days_max} days after it.`,
    }),
  },
  { additionalProperties: false },
);

export const ReportParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

/** The CSV of a completed report, documented as `text/csv` (not JSON) with its attachment header. */
export const ReportCsvResponse = {
  description: 'The report as CSV (RFC 4180, `\\n` line ends), its header line first.',
  headers: {
    'content-disposition': {
      type: 'string',
      description: 'attachment; filename="ledgerline-<type>-<from>-<to>-<id>.csv"',
    },
  },
  content: { 'text/csv': { schema: Type.String() } },
};

export function reportBody(report: Report): ReportBody {
  return {
    id: report.id,
    type: report.type,
    status: report.status,
    progress: report.progress,
    summary: report.summary,
    from: report.from.toISOString(),
    to: report.to.toISOString(),
    created_at: report.created_at.toISOString(),
    started_at: report.started_at?.toISOString() ?? null,
    finished_at: report.finished_at?.toISOString() ?? null,
    content_bytes: report.content_bytes,
    error: report.error,
  };
}
