import { checkInvariants } from '@ledgerline/ledger';
import { Decimal } from '@ledgerline/money';
import { waitUntil } from '@ledgerline/processes';
import type { ApiClient } from './client';
import type { Platform } from './platform';

export const FINAL_STATUSES = new Set(['posted', 'rejected', 'voided']);

/** Opens a customer with `count` USD accounts, each funded by a deposit of `funding` that has posted. */
export async function openFundedAccounts(api: ApiClient, count: number, funding: string): Promise<string[]> {
  const customer = await api.post('/v1/customers', { full_name: 'E2E Customer', country: 'GB' });
  if (customer.status !== 201) throw new Error(`customer: ${customer.status} ${customer.text}`);
  const accounts: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const account = await api.post('/v1/accounts', { customer_id: customer.body['id'], currency: 'USD' });
    if (account.status !== 201) throw new Error(`account: ${account.status} ${account.text}`);
    const id = String(account.body['id']);
    const deposit = await api.move('/v1/deposits', { account_id: id, amount: funding, currency: 'USD' });
    if (deposit.status !== 202) throw new Error(`deposit: ${deposit.status} ${deposit.text}`);
    await waitForFinal(api, String(deposit.body['id']));
    accounts.push(id);
  }
  return accounts;
}

export async function waitForFinal(
  api: ApiClient,
  transferId: string,
  timeout_ms = 30_000,
): Promise<Record<string, unknown>> {
  return waitUntil(
    async () => {
      const response = await api.get(`/v1/transfers/${transferId}`, { prefer: 'wait=5' });
      return FINAL_STATUSES.has(String(response.body['status'])) ? response.body : undefined;
    },
    { timeout_ms, interval_ms: 20, what: `transfer ${transferId} to reach a final state` },
  );
}

/** Waits until no transfer in the database is short of a final state. */
export async function waitForQuiet(platform: Platform, timeout_ms = 90_000): Promise<void> {
  await waitUntil(
    async () => {
      const { rows } = await platform.database.pool.query(
        `SELECT count(*)::int AS open FROM transfers WHERE status NOT IN ('posted', 'rejected', 'voided')`,
      );
      return rows[0].open === 0;
    },
    { timeout_ms, interval_ms: 200, what: 'every transfer to reach a final state' },
  );
}

/**
 * What a bank's auditor checks after a storm: the ledger's own invariants, no account beyond its
 * overdraft, and every posted transfer with exactly one debit and one credit.
 */
export async function assertLedgerSound(platform: Platform): Promise<void> {
  const report = await checkInvariants(platform.database.db);
  if (!report.ok)
    throw new Error(`ledger invariants violated: ${JSON.stringify(report.violations.slice(0, 5))}`);
  const { rows: overdrawn } = await platform.database.pool.query(
    `SELECT id FROM accounts WHERE kind <> 'settlement'
       AND posted_credits - posted_debits - pending_debits + overdraft_limit < 0`,
  );
  if (overdrawn.length > 0)
    throw new Error(`accounts beyond their overdraft: ${overdrawn.map((row) => row.id).join(', ')}`);
  const { rows: badPostings } = await platform.database.pool.query(
    `SELECT t.id, t.status, count(e.id)::int AS entries
       FROM transfers t LEFT JOIN journal_entries e ON e.transfer_id = t.id
      GROUP BY t.id, t.status
     HAVING (t.status = 'posted' AND count(e.id) <> 2) OR (t.status <> 'posted' AND count(e.id) <> 0)`,
  );
  if (badPostings.length > 0)
    throw new Error(`transfers posted other than exactly once: ${JSON.stringify(badPostings.slice(0, 5))}`);
}

export async function totalBalance(api: ApiClient, accounts: string[]): Promise<Decimal> {
  let total = new Decimal(0);
  for (const id of accounts) {
    const balance = await api.get(`/v1/accounts/${id}/balance`);
    total = total.plus(new Decimal(String(balance.body['posted'])));
  }
  return total;
}
