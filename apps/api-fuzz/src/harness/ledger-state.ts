import type pg from 'pg';

/**
 * Everything a request could change about money, and about the rows money depends on, in one read:
 * row counts of the ledger's and compliance's tables, the sums of every account balance column, and
 * digests of the mutable columns of customer accounts, transfers and compliance cases (so a refused
 * freeze, capture or decision that flipped a status is caught, not only inserts). Settlement accounts are left out of the row count and digest:
 * the transfer service creates a currency's settlement account on demand, before the request's own
 * transaction, by design (`settlementTransfer`); their balances still count in the sums.
 */
export interface LedgerState {
  journal_entries: number;
  transfers: number;
  outbox_messages: number;
  idempotency_keys: number;
  transfer_batches: number;
  customers: number;
  customer_accounts: number;
  api_clients: number;
  compliance_cases: number;
  compliance_reports: number;
  sanctions_lists: number;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  customer_accounts_digest: string;
  transfers_digest: string;
  compliance_cases_digest: string;
}

export async function readLedgerState(pool: pg.Pool): Promise<LedgerState> {
  const { rows } = await pool.query<LedgerState>(`
    SELECT (SELECT count(*) FROM journal_entries)::int AS journal_entries,
           (SELECT count(*) FROM transfers)::int AS transfers,
           (SELECT count(*) FROM outbox_messages)::int AS outbox_messages,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency_keys,
           (SELECT count(*) FROM transfer_batches)::int AS transfer_batches,
           (SELECT count(*) FROM customers)::int AS customers,
           (SELECT count(*) FROM accounts WHERE kind <> 'settlement')::int AS customer_accounts,
           (SELECT count(*) FROM api_clients)::int AS api_clients,
           (SELECT count(*) FROM compliance_cases)::int AS compliance_cases,
           (SELECT count(*) FROM compliance_reports)::int AS compliance_reports,
           (SELECT count(*) FROM sanctions_lists)::int AS sanctions_lists,
           (SELECT coalesce(sum(posted_debits), 0)::text FROM accounts) AS posted_debits,
           (SELECT coalesce(sum(posted_credits), 0)::text FROM accounts) AS posted_credits,
           (SELECT coalesce(sum(pending_debits), 0)::text FROM accounts) AS pending_debits,
           (SELECT coalesce(sum(pending_credits), 0)::text FROM accounts) AS pending_credits,
           (SELECT md5(coalesce(string_agg(concat_ws('|', id, status, version, overdraft_limit, metadata::text, updated_at), ',' ORDER BY id), ''))
              FROM accounts WHERE kind <> 'settlement') AS customer_accounts_digest,
           (SELECT md5(coalesce(string_agg(concat_ws('|', id, status, hold_action, hold_action_amount, captured_amount, updated_at), ',' ORDER BY id), ''))
              FROM transfers) AS transfers_digest,
           (SELECT md5(coalesce(string_agg(concat_ws('|', id, status, decided_at, decided_by, note), ',' ORDER BY id), ''))
              FROM compliance_cases) AS compliance_cases_digest`);
  const [state] = rows;
  if (state === undefined) throw new Error('the ledger state query returned no row');
  return state;
}

/** The part of the state that only the posting engine changes: no HTTP request may ever change it. */
export function moneyOf(state: LedgerState) {
  const { journal_entries, posted_debits, posted_credits, pending_debits, pending_credits } = state;
  return { journal_entries, posted_debits, posted_credits, pending_debits, pending_credits };
}
