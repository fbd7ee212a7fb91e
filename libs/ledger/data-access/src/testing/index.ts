/**
 * Test factories for the ledger: customers, accounts, batches and transfers inserted directly with
 * SQL (as the accounts and transfers services would have left them), funding through the real posting
 * engine, and read-backs for assertions. Meant for tests against a database from
 * `createTestDatabase()`; may be exported as `@ledgerline/ledger/testing`.
 */
import { randomBytes } from 'node:crypto';
import { Decimal } from '@ledgerline/money';
import type { Database } from '@ledgerline/db';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createPostingEngine, type PostingEngine } from '../posting-engine/posting-engine';

export interface AccountOptions {
  currency?: string;
  kind?: 'checking' | 'savings';
  status?: 'active' | 'frozen' | 'closed';
  overdraft_limit?: string;
  customer_id?: string;
}

export interface TransferOptions {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency?: string;
  kind?: 'transfer' | 'deposit' | 'withdrawal' | 'reversal';
  status?: 'received' | 'screening' | 'held' | 'approved' | 'pending' | 'posted' | 'rejected' | 'voided';
  status_reason?: string | null;
  hold?: boolean;
  hold_expires_at?: Date | null;
  hold_action?: 'capture' | 'void' | null;
  hold_action_amount?: string | null;
  batch_id?: string | null;
  description?: string | null;
  /** Defaults to a fresh UUIDv7; pass one to control lock or processing order. */
  id?: string;
}

/** An account's stored totals as NUMERIC text, for exact comparisons. */
export interface AccountRow {
  id: string;
  currency: string;
  status: string;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  posted: string;
  available: string;
  version: string;
  last_entry_sequence: string;
}

export interface TransferRow {
  id: string;
  status: string;
  status_reason: string | null;
  captured_amount: string | null;
  posted_at: Date | null;
  updated_at: Date;
}

export interface EntryRow {
  id: string;
  account_id: string;
  transfer_id: string;
  direction: 'debit' | 'credit';
  amount: string;
  balance_after: string;
  account_sequence: string;
  posted_at: Date;
}

export interface LedgerFixtures {
  customer(): Promise<string>;
  /** A customer account (a new customer unless `customer_id` is given). */
  account(options?: AccountOptions): Promise<string>;
  /** The currency's settlement account, created on first use. */
  settlementAccount(currency?: string): Promise<string>;
  batch(options: { atomic: boolean }): Promise<string>;
  /** Inserts a transfer, `approved` unless told otherwise. */
  transfer(options: TransferOptions): Promise<string>;
  /** Deposits from the settlement account through the real posting engine; returns the transfer id. */
  fund(account_id: string, amount: string, currency?: string): Promise<string>;
  /** A customer account with a posted balance of `amount` (zero means no deposit). */
  fundedAccount(amount: string, options?: AccountOptions): Promise<string>;
  readAccount(account_id: string): Promise<AccountRow>;
  readTransfer(transfer_id: string): Promise<TransferRow>;
  /** Entries of one account (oldest first) or of one transfer (debit first: the enum's order). */
  entriesOf(filter: { account_id: string } | { transfer_id: string }): Promise<EntryRow[]>;
}

export function createLedgerFixtures(database: { pool: pg.Pool; db: Database }): LedgerFixtures {
  const { pool } = database;
  let engine: PostingEngine | undefined;
  const settlements = new Map<string, string>();

  const fixtures: LedgerFixtures = {
    async customer() {
      const id = uuidv7();
      await pool.query(
        `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country)
         VALUES ($1, $2, $3, 'test-key', 'US')`,
        [id, randomBytes(16), randomBytes(16)],
      );
      return id;
    },

    async account(options = {}) {
      const id = uuidv7();
      const customerId = options.customer_id ?? (await fixtures.customer());
      await pool.query(
        `INSERT INTO accounts (id, customer_id, currency, kind, status, overdraft_limit)
         VALUES ($1, $2, $3, $4, $5, $6::numeric)`,
        [
          id,
          customerId,
          options.currency ?? 'USD',
          options.kind ?? 'checking',
          options.status ?? 'active',
          options.overdraft_limit ?? '0',
        ],
      );
      return id;
    },

    async settlementAccount(currency = 'USD') {
      const known = settlements.get(currency);
      if (known !== undefined) return known;
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO accounts (id, currency, kind) VALUES ($1, $2, 'settlement')
         ON CONFLICT (currency) WHERE kind = 'settlement' DO UPDATE SET currency = EXCLUDED.currency
         RETURNING id::text AS id`,
        [uuidv7(), currency],
      );
      const id = rows[0]!.id;
      settlements.set(currency, id);
      return id;
    },

    async batch({ atomic }) {
      const id = uuidv7();
      await pool.query(
        `INSERT INTO transfer_batches (id, atomic, client_id) VALUES ($1, $2, 'test-client')`,
        [id, atomic],
      );
      return id;
    },

    async transfer(options) {
      const id = options.id ?? uuidv7();
      const status = options.status ?? 'approved';
      await pool.query(
        `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status,
                                status_reason, hold, hold_expires_at, hold_action, hold_action_amount, batch_id,
                                description, client_id, created_at, updated_at, posted_at)
         VALUES ($1, $2::transfer_kind, $3, $4, $5::numeric, $6, $7::transfer_status, $8, $9, $10,
                 $11::hold_action, $12::numeric, $13, $14, 'test-client',
                 now(), now(), CASE WHEN $7::transfer_status = 'posted' THEN now() END)`,
        [
          id,
          options.kind ?? 'transfer',
          options.source_account_id,
          options.destination_account_id,
          options.amount,
          options.currency ?? 'USD',
          status,
          options.status_reason ?? null,
          options.hold ?? false,
          options.hold_expires_at ?? null,
          options.hold_action ?? null,
          options.hold_action_amount ?? null,
          options.batch_id ?? null,
          options.description ?? null,
        ],
      );
      return id;
    },

    async fund(accountId, amount, currency = 'USD') {
      engine ??= createPostingEngine({ db: database.db, batch_size_max: 1 });
      const transferId = await fixtures.transfer({
        kind: 'deposit',
        source_account_id: await fixtures.settlementAccount(currency),
        destination_account_id: accountId,
        amount,
        currency,
      });
      const [result] = await engine.advance([transferId]);
      if (result?.status !== 'posted')
        throw new Error(`funding ${accountId} failed: ${JSON.stringify(result)}`);
      return transferId;
    },

    async fundedAccount(amount, options = {}) {
      const id = await fixtures.account(options);
      if (!new Decimal(amount).isZero()) await fixtures.fund(id, amount, options.currency ?? 'USD');
      return id;
    },

    async readAccount(accountId) {
      const { rows } = await pool.query<AccountRow>(
        `SELECT id::text AS id, currency::text AS currency, status::text AS status,
                posted_debits::text AS posted_debits, posted_credits::text AS posted_credits,
                pending_debits::text AS pending_debits, pending_credits::text AS pending_credits,
                (posted_credits - posted_debits)::text AS posted,
                (posted_credits - posted_debits - pending_debits + overdraft_limit)::text AS available,
                version::text AS version, last_entry_sequence::text AS last_entry_sequence
           FROM accounts WHERE id = $1`,
        [accountId],
      );
      if (rows[0] === undefined) throw new Error(`no account ${accountId}`);
      return rows[0];
    },

    async readTransfer(transferId) {
      const { rows } = await pool.query<TransferRow>(
        `SELECT id::text AS id, status::text AS status, status_reason, captured_amount::text AS captured_amount,
                posted_at, updated_at
           FROM transfers WHERE id = $1`,
        [transferId],
      );
      if (rows[0] === undefined) throw new Error(`no transfer ${transferId}`);
      return rows[0];
    },

    async entriesOf(filter) {
      const byAccount = 'account_id' in filter;
      const { rows } = await pool.query<EntryRow>(
        `SELECT id::text AS id, account_id::text AS account_id, transfer_id::text AS transfer_id,
                direction::text AS direction, amount::text AS amount, balance_after::text AS balance_after,
                account_sequence::text AS account_sequence, posted_at
           FROM journal_entries
          WHERE ${byAccount ? 'account_id' : 'transfer_id'} = $1
          ORDER BY ${byAccount ? 'journal_entries.account_sequence' : 'journal_entries.direction'}`,
        [byAccount ? filter.account_id : filter.transfer_id],
      );
      return rows;
    },
  };
  return fixtures;
}
