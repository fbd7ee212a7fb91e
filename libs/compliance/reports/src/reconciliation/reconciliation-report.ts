import { Prisma } from '@ledgerline/db';
import {
  checkInvariants,
  type InvariantReport,
  type InvariantViolation,
  type InvariantViolationKind,
} from '@ledgerline/ledger';
import type { ReconciliationSummary } from '../report/report.types';
import type { CsvCell } from '../runner/csv-writer';
import type { ReportContext, ReportDefinition } from '../runner/report-context';

export interface ReconciliationOptions {
  /** The most violations listed per check (the ledger's `violations_max`). */
  violations_max: number;
  /** Bound of the ledger check's one read-only transaction. */
  timeout_ms: number;
}

export const RECONCILIATION_COLUMNS = [
  'record',
  'check',
  'scope',
  'status',
  'checked',
  'violations',
  'subject',
  'details',
] as const;

type Counts = InvariantReport['counts'];

/** How each of the ledger's checks appears in the report: its name and what it counted. */
const BOOK_CHECKS: Record<InvariantViolationKind, { check: string; checked: (counts: Counts) => number }> = {
  currency_not_balanced: { check: 'currencies_sum_to_zero', checked: (counts) => counts.currencies },
  account_totals_mismatch: { check: 'account_totals_match_entries', checked: (counts) => counts.accounts },
  entry_balance_mismatch: { check: 'entry_balances_follow_entries', checked: (counts) => counts.entries },
  posted_transfer_entries: {
    check: 'posted_transfers_have_their_debit_and_credit',
    checked: (counts) => counts.posted_transfers,
  },
  entries_without_posting: {
    check: 'entries_only_for_posted_transfers',
    checked: (counts) => counts.entries,
  },
};

/** What a violation is about: the currency, account, entry or transfer it names. */
function subjectOf(violation: InvariantViolation): string {
  switch (violation.kind) {
    case 'currency_not_balanced':
      return violation.currency;
    case 'account_totals_mismatch':
      return violation.account_id;
    case 'entry_balance_mismatch':
      return violation.entry_id;
    case 'posted_transfer_entries':
    case 'entries_without_posting':
      return violation.transfer_id;
  }
}

const KINDS = Object.keys(BOOK_CHECKS) as InvariantViolationKind[];

interface PeriodCurrency {
  currency: string;
  entries: number;
  debits: string;
  credits: string;
  balanced: boolean;
}

interface PeriodFigures {
  posted_transfers: number;
  currencies: PeriodCurrency[];
  /** Of the posted transfers the book check found wrong, those posted in the period. */
  posted_in_period: Set<string>;
}

/**
 * The reconciliation report: the ledger's invariants over the whole book (`checkInvariants` of the
 * ledger library, in its own REPEATABLE READ snapshot) and over the period:
 *
 * - every currency's posted balances sum to zero; every account's stored totals equal its entries;
 *   every entry's balance_after is its account's running balance; every posted transfer has exactly one
 *   debit and one credit of its amount; only posted transfers have entries (the book);
 * - every transfer posted in the period has its debit and credit, and the period's entries have equal
 *   debits and credits in every currency (the period, read in a second snapshot just after the first).
 *
 * Rows: one per check (`record = check`, `status` ok or violation, what it checked, how many
 * violations), then one per violation (`record = violation`) with the figures that disagree.
 */
export function reconciliationReport(
  options: ReconciliationOptions,
): ReportDefinition<ReconciliationSummary> {
  return {
    columns: RECONCILIATION_COLUMNS,

    async run(context) {
      const book = await checkInvariants(context.db, {
        violations_max: options.violations_max,
        timeout_ms: options.timeout_ms,
      });
      await context.progress(0.7);
      const period = await readPeriodFigures(context, book);
      await context.progress(0.9);

      const checkRows: CsvCell[][] = [];
      const violationRows: CsvCell[][] = [];
      for (const kind of KINDS) {
        const { check, checked } = BOOK_CHECKS[kind];
        const found = book.violations.filter((violation) => violation.kind === kind);
        checkRows.push([
          'check',
          check,
          'book',
          statusOf(found.length),
          checked(book.counts),
          found.length,
          '',
          '',
        ]);
        for (const violation of found) {
          const subject = subjectOf(violation);
          // Says which of the book's wrong transfers the period's own check counts.
          const in_period =
            kind === 'posted_transfer_entries'
              ? { posted_in_period: period.posted_in_period.has(subject) }
              : {};
          violationRows.push([
            'violation',
            check,
            'book',
            'violation',
            '',
            '',
            subject,
            detailsOf({ ...violation, ...in_period }),
          ]);
        }
      }
      const unbalanced = period.currencies.filter((currency) => !currency.balanced);
      const period_entries = period.currencies.reduce((sum, currency) => sum + currency.entries, 0);
      checkRows.push(
        [
          'check',
          'period_posted_transfers_have_their_debit_and_credit',
          'period',
          statusOf(period.posted_in_period.size),
          period.posted_transfers,
          period.posted_in_period.size,
          '',
          '',
        ],
        [
          'check',
          'period_debits_equal_credits',
          'period',
          statusOf(unbalanced.length),
          period_entries,
          unbalanced.length,
          '',
          period.currencies
            .map((currency) => `${currency.currency}: debits=${currency.debits} credits=${currency.credits}`)
            .join('; '),
        ],
      );
      for (const currency of unbalanced) {
        violationRows.push([
          'violation',
          'period_debits_equal_credits',
          'period',
          'violation',
          '',
          '',
          currency.currency,
          detailsOf({ entries: currency.entries, debits: currency.debits, credits: currency.credits }),
        ]);
      }
      context.csv.write(checkRows);
      context.csv.write(violationRows);
      const checks_failed = checkRows.filter((row) => row[3] === 'violation').length;
      return {
        ok: checks_failed === 0,
        checks: checkRows.length,
        checks_failed,
        violations: violationRows.length,
        violations_truncated: book.truncated,
        book: book.counts,
        period: { posted_transfers: period.posted_transfers, entries: period_entries },
      };
    },
  };
}

/** The period's figures, in one read-only snapshot: aggregates only, so memory stays bounded. */
async function readPeriodFigures(context: ReportContext, book: InvariantReport): Promise<PeriodFigures> {
  const { from, to } = context.period;
  const wrong = book.violations.flatMap((violation) =>
    violation.kind === 'posted_transfer_entries' ? [violation.transfer_id] : [],
  );
  return context.db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('SET TRANSACTION READ ONLY');
      const [posted] = await tx.$queryRaw<Array<{ posted_transfers: number }>>(Prisma.sql`
        SELECT count(*)::int AS posted_transfers FROM transfers
         WHERE status = 'posted' AND posted_at >= ${from}::timestamptz AND posted_at < ${to}::timestamptz`);
      const currencies = await tx.$queryRaw<PeriodCurrency[]>(Prisma.sql`
        SELECT currency::text AS currency, count(*)::int AS entries,
               coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0.0000)::text AS debits,
               coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0.0000)::text AS credits,
               coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0.0000)
                 = coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0.0000) AS balanced
          FROM journal_entries
         WHERE posted_at >= ${from}::timestamptz AND posted_at < ${to}::timestamptz
         GROUP BY currency
         ORDER BY currency::text`);
      const in_period =
        wrong.length === 0
          ? []
          : await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
              SELECT id::text AS id FROM transfers
               WHERE id = ANY(${wrong}::uuid[]) AND posted_at >= ${from}::timestamptz AND posted_at < ${to}::timestamptz`);
      return {
        posted_transfers: posted?.posted_transfers ?? 0,
        currencies,
        posted_in_period: new Set(in_period.map((row) => row.id)),
      };
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, timeout: 60_000, maxWait: 10_000 },
  );
}

function statusOf(violations: number): 'ok' | 'violation' {
  return violations === 0 ? 'ok' : 'violation';
}

/** `key=value` pairs of a violation's figures (amounts as NUMERIC text), without its kind. */
function detailsOf(figures: Record<string, unknown>): string {
  return Object.entries(figures)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => `${key}=${value === null ? 'none' : String(value)}`)
    .join(' ');
}
