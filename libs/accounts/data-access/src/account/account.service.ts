import assert from 'node:assert/strict';
import type { BatchMetrics } from '@ledgerline/batching';
import { newRowId, Prisma, type Database } from '@ledgerline/db';
import { formatAmount, isCurrency, parseNonNegativeAmount, type CurrencyCode } from '@ledgerline/money';
import { validate as isUuid } from 'uuid';
import type { AccessScope } from '../access/access-scope';
import { failure, success, type Outcome } from '../result';
import type { AccountChangeError, AccountOpenError, AccountQueryError } from './account.errors';
import { computeBalance, toDecimal, type Balance } from './balance';
import { createBalanceRowReader, type BalanceRow } from './balance-rows';
import { checkMetadata, type Metadata } from './metadata';
import { readEntries, readPostedBalanceAsOf, type EntryPage, type EntryQuery } from './statement';

export type AccountKind = 'checking' | 'savings' | 'settlement';
export type AccountStatus = 'active' | 'frozen' | 'closed';
/** The kinds a client may open; settlement accounts are created by {@link AccountService.ensureSettlementAccount}. */
export type CustomerAccountKind = Exclude<AccountKind, 'settlement'>;

export const ACCOUNT_KINDS: readonly CustomerAccountKind[] = ['checking', 'savings'];
export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['active', 'frozen', 'closed'];

/** Page sizes for {@link AccountService.list}, as in the API contract. */
export const ACCOUNT_PAGE_LIMITS = Object.freeze({ default: 50, max: 200 });

export interface Account {
  id: string;
  /** Null only for settlement accounts. */
  customer_id: string | null;
  currency: string;
  kind: AccountKind;
  status: AccountStatus;
  /** Decimal string with the currency's minor units. */
  overdraft_limit: string;
  balance: Balance;
  /** Bumped on every change to the row. */
  version: number;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

export interface OpenAccountInput {
  customer_id: string;
  currency: string;
  kind?: CustomerAccountKind | undefined;
  /** A non-negative decimal string with at most the currency's minor units; default zero. */
  overdraft_limit?: string | undefined;
  metadata?: unknown;
}

export interface ListAccountsQuery {
  scope: AccessScope;
  customer_id?: string | undefined;
  status?: AccountStatus | undefined;
  /** 1..200; default 50. */
  limit?: number | undefined;
  /** Keyset: return accounts with ids after this one (ids are UUIDv7, so this is creation order). */
  after_id?: string | undefined;
}

export interface AccountPage {
  accounts: Account[];
  /** The keyset for the next page, or null on the last page. */
  next_after_id: string | null;
}

/**
 * A balance at an instant. For the present it is the account row. For a past instant only the posted
 * balance is known (from the journal): holds write no journal entries, so pending amounts then are
 * not recorded anywhere and are null, as is `available`, which depends on them.
 */
export interface BalanceSnapshot {
  account_id: string;
  currency: string;
  posted: string;
  pending_debits: string | null;
  pending_credits: string | null;
  available: string | null;
  as_of: Date;
}

export interface AccountService {
  /** Opens a checking or savings account for an existing customer. */
  open(input: OpenAccountInput): Promise<Outcome<Account, AccountOpenError>>;
  /** The account, or null when it does not exist or is outside `scope`. */
  get(id: string, scope: AccessScope): Promise<Account | null>;
  /** Accounts in id order with keyset pagination; filters by customer and status. */
  list(query: ListAccountsQuery): Promise<AccountPage>;
  /** active -> frozen. */
  freeze(id: string, scope: AccessScope): Promise<Outcome<Account, AccountChangeError>>;
  /** frozen -> active. */
  unfreeze(id: string, scope: AccessScope): Promise<Outcome<Account, AccountChangeError>>;
  /** active|frozen -> closed, only with a zero posted balance and no pending holds. */
  close(id: string, scope: AccessScope): Promise<Outcome<Account, AccountChangeError>>;
  /**
   * The balance, or null when the account is not found in `scope`. Without `as_of` (or with one not
   * in the past) it is read from the account row; with a past `as_of` the posted balance comes from
   * the journal and the pending amounts and `available` are null (see {@link BalanceSnapshot}).
   */
  balance(
    id: string,
    scope: AccessScope,
    options?: { as_of?: Date | undefined },
  ): Promise<BalanceSnapshot | null>;
  /** The account's journal entries, newest first, or `not_found` outside `scope`. */
  listEntries(
    id: string,
    scope: AccessScope,
    query?: EntryQuery,
  ): Promise<Outcome<EntryPage, AccountQueryError>>;
  /**
   * The settlement account of `currency` (the outside world), created on first use. Safe under
   * concurrency: racing callers all get the one row the partial unique index allows.
   */
  ensureSettlementAccount(currency: CurrencyCode): Promise<Account>;
}

export interface AccountServiceDependencies {
  db: Database;
  /** Where the shared balance lookups are reported (`createBatchMetrics`, batcher `balance`); none when absent. */
  balance_batch_metrics?: BatchMetrics | undefined;
}

type AccountRow = Prisma.AccountModel;

export function createAccountService({
  db,
  balance_batch_metrics,
}: AccountServiceDependencies): AccountService {
  async function findVisible(id: string, scope: AccessScope): Promise<AccountRow | null> {
    if (!isUuid(id) || scope.kind === 'none') return null;
    return db.account.findFirst({
      where: { id, ...(scope.kind === 'customer' ? { customerId: scope.customer_id } : {}) },
    });
  }

  const balanceRows = createBalanceRowReader(db, balance_batch_metrics);

  /** The balance columns of an account visible in `scope` (the hot read path: every balance read and statement page). */
  async function findVisibleBalance(id: string, scope: AccessScope): Promise<BalanceRow | null> {
    if (!isUuid(id) || scope.kind === 'none') return null;
    const row = await balanceRows.submit(id.toLowerCase());
    if (row === null || (scope.kind === 'customer' && row.customer_id !== scope.customer_id)) return null;
    return row;
  }

  /**
   * Runs a conditional status update (`from` -> `to`, plus `extra` conditions) and reports why it
   * did not apply. The condition is checked in the same statement that changes the row, so it holds
   * against concurrent posting: the ledger locks account rows before changing balances.
   */
  async function transition(
    id: string,
    scope: AccessScope,
    from: readonly AccountStatus[],
    to: AccountStatus,
  ): Promise<Outcome<Account, AccountChangeError>> {
    if (!isUuid(id) || scope.kind === 'none') return failure('not_found', 'No such account.');
    const emptiness =
      to === 'closed'
        ? Prisma.sql`AND "posted_credits" = "posted_debits" AND "pending_debits" = 0 AND "pending_credits" = 0`
        : Prisma.empty;
    const owner =
      scope.kind === 'customer' ? Prisma.sql`AND "customer_id" = ${scope.customer_id}::uuid` : Prisma.empty;
    const changed = await db.$executeRaw`
      UPDATE "accounts"
         SET "status" = ${to}::"account_status", "version" = "version" + 1, "updated_at" = now()
       WHERE "id" = ${id}::uuid
         AND "kind" <> 'settlement'
         AND "status"::text IN (${Prisma.join(from)})
         ${owner}
         ${emptiness}`;
    const row = await findVisible(id, scope);
    if (row === null) return failure('not_found', 'No such account.');
    if (changed === 1) return success(toAccount(row));
    if (row.kind === 'settlement')
      return failure('invalid_state', 'Settlement accounts cannot change status.');
    if (to === 'closed' && from.includes(row.status)) {
      return failure(
        'account_not_empty',
        'The account must have a zero posted balance and no pending holds to close.',
      );
    }
    // Also the answer when a concurrent change moved the account between the update and this read.
    return failure(
      'invalid_state',
      `The account is ${row.status}; it must be ${from.join(' or ')} for this.`,
    );
  }

  return {
    async open(input) {
      if (!isCurrency(input.currency)) {
        return failure(
          'unknown_currency',
          `${JSON.stringify(input.currency.slice(0, 8))} is not a supported ISO 4217 currency code.`,
        );
      }
      const overdraft = parseNonNegativeAmount(input.overdraft_limit ?? '0', input.currency);
      if (!overdraft.ok) return failure('invalid_overdraft_limit', overdraft.message);
      const metadata = checkMetadata(input.metadata ?? {});
      if (!metadata.ok) return failure('invalid_metadata', metadata.reason);
      if (!isUuid(input.customer_id)) return failure('customer_not_found', 'No customer has this id.');
      const kind = input.kind ?? 'checking';
      assert.ok(ACCOUNT_KINDS.includes(kind), `open: kind ${String(kind)} cannot be opened by a client`);

      // One statement: the insert happens only if the customer exists, so there is no window in
      // which a check passes and the insert then fails on the foreign key.
      const id = newRowId();
      const inserted = await db.$executeRaw`
        INSERT INTO "accounts" ("id", "customer_id", "currency", "kind", "overdraft_limit", "metadata")
        SELECT ${id}::uuid, "id", ${input.currency}, ${kind}::"account_kind",
               ${overdraft.amount.toFixed()}::numeric, ${JSON.stringify(metadata.value)}::jsonb
          FROM "customers" WHERE "id" = ${input.customer_id}::uuid`;
      if (inserted === 0) return failure('customer_not_found', 'No customer has this id.');
      const row = await db.account.findUniqueOrThrow({ where: { id } });
      return success(toAccount(row));
    },

    async get(id, scope) {
      const row = await findVisible(id, scope);
      return row === null ? null : toAccount(row);
    },

    async list(query) {
      const limit = query.limit ?? ACCOUNT_PAGE_LIMITS.default;
      assert.ok(
        Number.isInteger(limit) && limit >= 1 && limit <= ACCOUNT_PAGE_LIMITS.max,
        `list: limit ${limit} out of range`,
      );
      const { scope } = query;
      const empty: AccountPage = { accounts: [], next_after_id: null };
      if (scope.kind === 'none') return empty;
      if (query.customer_id !== undefined && !isUuid(query.customer_id)) return empty;
      if (
        scope.kind === 'customer' &&
        query.customer_id !== undefined &&
        query.customer_id !== scope.customer_id
      ) {
        return empty;
      }
      assert.ok(query.after_id === undefined || isUuid(query.after_id), 'list: after_id must be a UUID');
      const customerId = scope.kind === 'customer' ? scope.customer_id : query.customer_id;
      // Served by the (customer_id, id), (status, id) or primary key index: a seek, then `limit` rows.
      const rows = await db.account.findMany({
        where: {
          ...(customerId !== undefined ? { customerId } : {}),
          ...(query.status !== undefined ? { status: query.status } : {}),
          ...(query.after_id !== undefined ? { id: { gt: query.after_id } } : {}),
        },
        orderBy: { id: 'asc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        accounts: page.map(toAccount),
        next_after_id: rows.length > limit && last !== undefined ? last.id : null,
      };
    },

    freeze: (id, scope) => transition(id, scope, ['active'], 'frozen'),
    unfreeze: (id, scope) => transition(id, scope, ['frozen'], 'active'),
    close: (id, scope) => transition(id, scope, ['active', 'frozen'], 'closed'),

    async balance(id, scope, options = {}) {
      const row = await findVisibleBalance(id, scope);
      if (row === null) return null;
      const now = new Date();
      const { as_of } = options;
      if (as_of === undefined || as_of.getTime() >= now.getTime()) {
        return {
          account_id: row.id,
          currency: row.currency,
          as_of: now,
          ...computeBalance(row, row.currency),
        };
      }
      const posted = await readPostedBalanceAsOf(db, row.id, as_of);
      return {
        account_id: row.id,
        currency: row.currency,
        posted: formatAmount(toDecimal(posted), row.currency),
        pending_debits: null,
        pending_credits: null,
        available: null,
        as_of,
      };
    },

    async listEntries(id, scope, query = {}) {
      const row = await findVisibleBalance(id, scope);
      if (row === null) return failure('not_found', 'No such account.');
      return success(await readEntries(db, row, query));
    },

    async ensureSettlementAccount(currency) {
      assert.ok(
        isCurrency(currency),
        `ensureSettlementAccount: ${JSON.stringify(currency)} is not a supported currency`,
      );
      await db.$executeRaw`
        INSERT INTO "accounts" ("id", "customer_id", "currency", "kind")
        VALUES (${newRowId()}::uuid, NULL, ${currency}, 'settlement')
        ON CONFLICT ("currency") WHERE "kind" = 'settlement' DO NOTHING`;
      const row = await db.account.findFirstOrThrow({ where: { currency, kind: 'settlement' } });
      return toAccount(row);
    },
  };
}

function balanceOf(row: AccountRow): Balance {
  return computeBalance(
    {
      posted_debits: row.postedDebits,
      posted_credits: row.postedCredits,
      pending_debits: row.pendingDebits,
      pending_credits: row.pendingCredits,
      overdraft_limit: row.overdraftLimit,
    },
    row.currency,
  );
}

/** Maps a database row to the public account shape. */
export function toAccount(row: AccountRow): Account {
  const balance = balanceOf(row);
  return {
    id: row.id,
    customer_id: row.customerId,
    currency: row.currency,
    kind: row.kind,
    status: row.status,
    overdraft_limit: formatAmount(toDecimal(row.overdraftLimit), row.currency),
    balance,
    version: Number(row.version),
    metadata: (row.metadata ?? {}) as Metadata,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
