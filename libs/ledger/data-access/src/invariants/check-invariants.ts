import { Prisma, type Database } from '@ledgerline/db';

/** One way the stored ledger breaks double-entry bookkeeping. Amounts are NUMERIC text. */
export type InvariantViolation =
  /** The posted balances of all accounts in one currency do not sum to zero. */
  | { kind: 'currency_not_balanced'; currency: string; posted_sum: string }
  /** An account's stored totals or sequence disagree with its journal entries or its live holds. */
  | {
      kind: 'account_totals_mismatch';
      account_id: string;
      posted_debits: string;
      entry_debits: string;
      posted_credits: string;
      entry_credits: string;
      last_entry_sequence: string;
      entry_count: string;
      entry_sequence_max: string;
      pending_debits: string;
      hold_debits: string;
      pending_credits: string;
      hold_credits: string;
    }
  /** An entry's balance_after is not the running posted balance of its account. */
  | {
      kind: 'entry_balance_mismatch';
      entry_id: string;
      account_id: string;
      balance_after: string;
      running_balance: string;
    }
  /** A posted transfer lacks its debit or credit, or they differ from each other or from the transfer. */
  | {
      kind: 'posted_transfer_entries';
      transfer_id: string;
      debit_amount: string | null;
      credit_amount: string | null;
      expected_amount: string;
    }
  /** A transfer that is not posted has journal entries. */
  | { kind: 'entries_without_posting'; transfer_id: string; status: string };

export type InvariantViolationKind = InvariantViolation['kind'];

export interface InvariantReport {
  ok: boolean;
  counts: { currencies: number; accounts: number; posted_transfers: number; entries: number };
  violations: InvariantViolation[];
  /** True when some check found more than `violations_max` rows and stopped listing them. */
  truncated: boolean;
}

export interface CheckInvariantsOptions {
  /** The most violations listed per check. Default 100. */
  violations_max?: number;
  /** The whole check runs in one read-only transaction; this bounds it. Default 300 000 ms. */
  timeout_ms?: number;
}

/**
 * Verifies the ledger from first principles, reading everything in one REPEATABLE READ, read-only
 * transaction so that postings committed meanwhile cannot produce false alarms:
 *
 * - for every currency, the posted balances (posted credits - posted debits) of all accounts sum to zero;
 * - every account's posted totals equal the sums of its entries, its last_entry_sequence is its newest
 *   entry's and the sequence has no gaps, and its pending totals equal its live (pending) holds;
 * - every entry's balance_after is its account's running balance;
 * - every posted transfer has exactly one debit on its source and one credit on its destination, of
 *   its captured amount (or its amount) in its currency; no other transfer has entries.
 *
 * A full scan: meant for the `ledger-check` tool and reconciliation jobs, not for request paths.
 */
export async function checkInvariants(
  db: Database,
  options: CheckInvariantsOptions = {},
): Promise<InvariantReport> {
  const limit = options.violations_max ?? 100;
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('SET TRANSACTION READ ONLY');
      const [counts] = await tx.$queryRawUnsafe<
        Array<{ currencies: number; accounts: number; posted_transfers: number; entries: number }>
      >(
        `SELECT (SELECT count(DISTINCT currency) FROM accounts)::int AS currencies,
                (SELECT count(*) FROM accounts)::int AS accounts,
                (SELECT count(*) FROM transfers WHERE status = 'posted')::int AS posted_transfers,
                (SELECT count(*) FROM journal_entries)::int AS entries`,
      );

      const currencies = await tx.$queryRawUnsafe<Array<{ currency: string; posted_sum: string }>>(
        `SELECT currency::text AS currency, sum(posted_credits - posted_debits)::text AS posted_sum
           FROM accounts
          GROUP BY currency
         HAVING sum(posted_credits - posted_debits) <> 0
          ORDER BY currency
          LIMIT $1`,
        limit + 1,
      );

      const accounts = await tx.$queryRawUnsafe<Array<Record<string, string>>>(
        `WITH entry_totals AS (
                SELECT account_id,
                       coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0) AS debits,
                       coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0) AS credits,
                       count(*) AS entry_count,
                       max(account_sequence) AS sequence_max
                  FROM journal_entries GROUP BY account_id),
              hold_totals AS (
                SELECT account_id, sum(debits) AS debits, sum(credits) AS credits
                  FROM (SELECT source_account_id AS account_id, amount AS debits, 0 AS credits FROM transfers WHERE status = 'pending'
                        UNION ALL
                        SELECT destination_account_id, 0, amount FROM transfers WHERE status = 'pending') AS holds
                 GROUP BY account_id),
              compared AS (
                SELECT a.id, a.posted_debits, coalesce(e.debits, 0) AS entry_debits,
                       a.posted_credits, coalesce(e.credits, 0) AS entry_credits,
                       a.last_entry_sequence, coalesce(e.entry_count, 0) AS entry_count,
                       coalesce(e.sequence_max, 0) AS entry_sequence_max,
                       a.pending_debits, coalesce(h.debits, 0) AS hold_debits,
                       a.pending_credits, coalesce(h.credits, 0) AS hold_credits
                  FROM accounts a
                  LEFT JOIN entry_totals e ON e.account_id = a.id
                  LEFT JOIN hold_totals h ON h.account_id = a.id)
         SELECT id::text AS account_id, posted_debits::text AS posted_debits, entry_debits::text AS entry_debits,
                posted_credits::text AS posted_credits, entry_credits::text AS entry_credits,
                last_entry_sequence::text AS last_entry_sequence, entry_count::text AS entry_count,
                entry_sequence_max::text AS entry_sequence_max, pending_debits::text AS pending_debits,
                hold_debits::text AS hold_debits, pending_credits::text AS pending_credits,
                hold_credits::text AS hold_credits
           FROM compared
          WHERE posted_debits <> entry_debits OR posted_credits <> entry_credits
             OR last_entry_sequence <> entry_sequence_max OR entry_count <> entry_sequence_max
             OR pending_debits <> hold_debits OR pending_credits <> hold_credits
          ORDER BY id
          LIMIT $1`,
        limit + 1,
      );

      const balances = await tx.$queryRawUnsafe<
        Array<{ entry_id: string; account_id: string; balance_after: string; running_balance: string }>
      >(
        `SELECT entry_id::text AS entry_id, account_id::text AS account_id, balance_after::text AS balance_after,
                running_balance::text AS running_balance
           FROM (SELECT id AS entry_id, account_id, balance_after,
                        sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END)
                          OVER (PARTITION BY account_id ORDER BY account_sequence) AS running_balance
                   FROM journal_entries) AS running
          WHERE balance_after <> running_balance
          ORDER BY account_id, entry_id
          LIMIT $1`,
        limit + 1,
      );

      const posted = await tx.$queryRawUnsafe<
        Array<{
          transfer_id: string;
          debit_amount: string | null;
          credit_amount: string | null;
          expected_amount: string;
        }>
      >(
        `SELECT t.id::text AS transfer_id, d.amount::text AS debit_amount, c.amount::text AS credit_amount,
                coalesce(t.captured_amount, t.amount)::text AS expected_amount
           FROM transfers t
           LEFT JOIN journal_entries d ON d.transfer_id = t.id AND d.direction = 'debit'
           LEFT JOIN journal_entries c ON c.transfer_id = t.id AND c.direction = 'credit'
          WHERE t.status = 'posted'
            AND (d.id IS NULL OR c.id IS NULL
                 OR d.amount <> coalesce(t.captured_amount, t.amount) OR c.amount <> d.amount
                 OR d.account_id <> t.source_account_id OR c.account_id <> t.destination_account_id
                 OR d.currency <> t.currency OR c.currency <> t.currency)
          ORDER BY t.id
          LIMIT $1`,
        limit + 1,
      );

      const unposted = await tx.$queryRawUnsafe<Array<{ transfer_id: string; status: string }>>(
        `SELECT DISTINCT t.id::text AS transfer_id, t.status::text AS status
           FROM journal_entries e
           JOIN transfers t ON t.id = e.transfer_id
          WHERE t.status <> 'posted'
          ORDER BY 1
          LIMIT $1`,
        limit + 1,
      );

      const groups: InvariantViolation[][] = [
        currencies.map((row) => ({ kind: 'currency_not_balanced' as const, ...row })),
        accounts.map((row) => ({
          kind: 'account_totals_mismatch' as const,
          ...(row as Omit<AccountMismatch, 'kind'>),
        })),
        balances.map((row) => ({ kind: 'entry_balance_mismatch' as const, ...row })),
        posted.map((row) => ({ kind: 'posted_transfer_entries' as const, ...row })),
        unposted.map((row) => ({ kind: 'entries_without_posting' as const, ...row })),
      ];
      const violations = groups.flatMap((group) => group.slice(0, limit));
      return {
        ok: violations.length === 0,
        counts: counts ?? { currencies: 0, accounts: 0, posted_transfers: 0, entries: 0 },
        violations,
        truncated: groups.some((group) => group.length > limit),
      };
    },
    {
      isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead,
      timeout: options.timeout_ms ?? 300_000,
      maxWait: 10_000,
    },
  );
}

type AccountMismatch = Extract<InvariantViolation, { kind: 'account_totals_mismatch' }>;
