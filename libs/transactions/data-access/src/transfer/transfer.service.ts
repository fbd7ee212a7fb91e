import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  newRowId,
  Prisma,
  sqlArray,
  sqlStateOf,
  transferStatusIs,
  withTransactionRetry,
  type Database,
} from '@ledgerline/db';
import { Decimal, type CurrencyCode } from '@ledgerline/money';
import { createAccountService, type AccountService } from '@ledgerline/accounts';
import { auditInsert } from '@ledgerline/audit';
import type { BatchMetrics } from '@ledgerline/batching';
import {
  enqueueOutbox,
  HOLD_EXPIRY_MARGIN_MS,
  jobs,
  outboxInsert,
  type OutboxMessage,
} from '@ledgerline/queue';
import {
  IDEMPOTENCY_TTL_SECONDS_MIN,
  requestHash,
  runIdempotent,
  type IdempotencyOutcome,
  type IdempotencyScope,
  type StoredResponse,
  type WorkResult,
} from '../idempotency/idempotency';
import { cachedAccountFacts, readAccountFacts, sharedAccountFacts, type AccountFacts } from './account-facts';
import { decodeTransferCursor, encodeTransferCursor } from './cursor';
import {
  FINAL_STATUSES,
  type BatchView,
  type Caller,
  type CaptureInput,
  type CommandResult,
  type CreateBatchInput,
  type CreateTransferInput,
  type FieldError,
  type ListTransfersQuery,
  type MoneyCommand,
  type Page,
  type QueryResult,
  type ReverseInput,
  type SettlementTransferInput,
  type TransferError,
  type TransferFailure,
  type TransferView,
} from './transfer.types';
import {
  checkAmount,
  checkCurrency,
  checkDescription,
  checkTransferFields,
  checkUuid,
  LIMITS,
  UUID_PATTERN,
  type CheckedTransfer,
} from './transfer.validation';
import { TRANSFER_COLUMNS, toTransferView, type TransferRow } from './transfer.view';
import { newTransferRow, type NewTransfer } from './new-transfer';
import { createAcceptStatements } from './accept-statements';

export interface TransferServiceLogger {
  warn(object: object, message: string): void;
}

export interface TransferServiceOptions {
  db: Database;
  /** Owner of account rows; used for the per-currency settlement account. Built on `db` when absent. */
  accounts?: Pick<AccountService, 'ensureSettlementAccount'>;
  logger?: TransferServiceLogger;
  /** How long an idempotency key replays its response; at least 24 h (the contract's promise). */
  idempotency_ttl_seconds?: number;
  /** A hold's lifetime when the request names none. */
  hold_expires_in_seconds_default?: number;
  hold_expires_in_seconds_max?: number;
  /** Upper bound of one accepting transaction (a 1000-transfer batch included). */
  transaction_timeout_ms?: number;
  /** The longest pause between two reads while waiting for a final status. */
  wait_poll_interval_ms_max?: number;
  /** Where the shared accept statements are reported (`createBatchMetrics`); none when absent. */
  accept_batch_metrics?: BatchMetrics;
}

/** Accepting transfers (with idempotency and the outbox), hold commands, reversals and transfer queries. */
export interface TransferService {
  /** `POST /v1/transfers`: 202 Transfer with `Location`. */
  createTransfer(command: MoneyCommand, input: CreateTransferInput): Promise<CommandResult>;
  /** `POST /v1/deposits`: settlement account of the currency -> `account_id`. */
  createDeposit(command: MoneyCommand, input: SettlementTransferInput): Promise<CommandResult>;
  /** `POST /v1/withdrawals`: `account_id` -> settlement account of the currency. */
  createWithdrawal(command: MoneyCommand, input: SettlementTransferInput): Promise<CommandResult>;
  /** `POST /v1/transfers/batch`: 202 `{ id, atomic, transfers }`. */
  createBatch(command: MoneyCommand, input: CreateBatchInput): Promise<CommandResult>;
  /** `POST /v1/transfers/:id/capture`: asks the ledger to post a pending hold (all or part of it). */
  captureHold(command: MoneyCommand, transfer_id: string, input: CaptureInput): Promise<CommandResult>;
  /** `POST /v1/transfers/:id/void`: asks the ledger to release a pending hold. */
  voidHold(command: MoneyCommand, transfer_id: string): Promise<CommandResult>;
  /** `POST /v1/transfers/:id/reverse`: a new transfer moving a posted transfer's money back, once. */
  reverseTransfer(command: MoneyCommand, transfer_id: string, input: ReverseInput): Promise<CommandResult>;
  getTransfer(caller: Caller, transfer_id: string): Promise<QueryResult<TransferView>>;
  listTransfers(caller: Caller, query: ListTransfersQuery): Promise<QueryResult<Page<TransferView>>>;
  /**
   * Reads the transfer until it is final (posted, rejected, voided), `wait_seconds` pass, or `signal`
   * aborts; answers the last state read.
   */
  waitForFinal(
    caller: Caller,
    transfer_id: string,
    options: { wait_seconds: number; signal?: AbortSignal | undefined },
  ): Promise<QueryResult<TransferView>>;
}

/** Roles that may move money; operator and compliance are read-only on money, unknown roles get nothing. */
const MONEY_ROLES = new Set(['customer', 'service', 'admin']);
const SEE_ALL_ROLES = new Set(['service', 'admin', 'operator', 'compliance']);
const SERVICE_ROLES = new Set(['service', 'admin']);
/** Sorts after every UUID, so the first page uses the same `id < $cursor` index condition as the rest. */
const CURSOR_START = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const CUSTOMER_ACCOUNTS_LISTED_MAX = 1000;

/** Thrown inside a transaction to roll it back and hand a refusal to the caller: refusals write nothing. */
class Refusal extends Error {
  constructor(readonly failure: TransferFailure) {
    super(failure.message);
  }
}

function refuse(error: TransferError, message: string, errors?: FieldError[]): TransferFailure {
  return errors === undefined ? { ok: false, error, message } : { ok: false, error, message, errors };
}

function invalid(errors: FieldError[]): TransferFailure {
  const shown = errors.slice(0, LIMITS.field_errors_max);
  const more = errors.length - shown.length;
  return refuse(
    'validation_failed',
    more > 0 ? `The request is invalid (${more} more errors not shown).` : 'The request is invalid.',
    shown,
  );
}

interface VisibleTransferRow extends TransferRow {
  source_customer_id: string | null;
  destination_customer_id: string | null;
}

export function createTransferService(options: TransferServiceOptions): TransferService {
  const { db, logger } = options;
  const accounts = options.accounts ?? createAccountService({ db });
  const ttl_seconds = options.idempotency_ttl_seconds ?? IDEMPOTENCY_TTL_SECONDS_MIN;
  const hold_bounds = {
    default_seconds: options.hold_expires_in_seconds_default ?? 7 * 24 * 60 * 60,
    max_seconds: options.hold_expires_in_seconds_max ?? 30 * 24 * 60 * 60,
  };
  const transaction_timeout_ms = options.transaction_timeout_ms ?? 15_000;
  const wait_poll_interval_ms_max = options.wait_poll_interval_ms_max ?? 500;
  assert.ok(ttl_seconds >= IDEMPOTENCY_TTL_SECONDS_MIN, 'idempotency_ttl_seconds must be at least 24 h');
  assert.ok(hold_bounds.default_seconds >= LIMITS.hold_expires_in_seconds_min);
  assert.ok(hold_bounds.default_seconds <= hold_bounds.max_seconds);
  assert.ok(transaction_timeout_ms > 0 && transaction_timeout_ms <= 120_000);
  assert.ok(wait_poll_interval_ms_max >= 10 && wait_poll_interval_ms_max <= 5_000);
  const accountFacts = cachedAccountFacts(sharedAccountFacts(db));
  const acceptStatements = createAcceptStatements(db, options.accept_batch_metrics);

  /**
   * The one path every money-moving request takes: one READ COMMITTED transaction holding the
   * idempotency lock, the lookup, the work and the stored response. Deadlocks and serialization
   * failures re-run the whole transaction, which is safe because nothing of a failed attempt survives.
   */
  async function runCommand(
    command: MoneyCommand,
    work: (tx: Prisma.TransactionClient) => Promise<WorkResult<TransferFailure>>,
  ): Promise<CommandResult> {
    const denied = moneyRoleDenial(command.caller);
    if (denied !== undefined) return denied;
    const { audit_entry } = command;
    const scope = {
      ...idempotencyScope(command),
      alongside:
        audit_entry === undefined
          ? undefined
          : (response: StoredResponse) => auditInsert(audit_entry(response.status)),
    };
    try {
      const outcome = await withTransactionRetry(() =>
        db.$transaction(
          async (tx) => {
            const result = await runIdempotent(tx, scope, () => work(tx));
            if (!result.ok && 'failure' in result) throw new Refusal(result.failure);
            return result;
          },
          // READ COMMITTED: the isolation every connection of createPrismaClient starts with.
          {
            maxWait: 5_000,
            timeout: transaction_timeout_ms,
          },
        ),
      );
      return commandResultOf(outcome);
    } catch (error) {
      if (error instanceof Refusal) return error.failure;
      // Backstop for the unique reversal key: a reversal that raced past the row lock still loses here.
      if (isReversalConflict(error)) {
        logger?.warn({ request_id: command.request_id }, 'concurrent reversal refused by the unique key');
        return refuse('invalid_state', 'The transfer has already been reversed.');
      }
      throw error;
    }
  }

  function idempotencyScope(command: MoneyCommand): Omit<IdempotencyScope, 'alongside'> {
    const key = command.idempotency_key;
    assert.ok(
      key.length >= 1 && key.length <= 255,
      'the app validates Idempotency-Key before calling the service',
    );
    return {
      client_id: command.caller.client_id,
      key,
      request_hash: requestHash(command.request),
      ttl_seconds,
    };
  }

  /**
   * Accepts one transfer (a transfer, deposit or withdrawal) whose parties `check` approves.
   *
   * The common case takes ONE statement and no interactive transaction: the parties are checked against
   * cached account facts (immutable, see `cachedAccountFacts`), the response is rendered from the row
   * built here, and one statement claims the key and writes the row, its jobs and its audit record
   * together (shared with the accepts that arrived meanwhile, see `createAcceptStatements`). A refusal is not answered from the cache: it is decided on the transactional path,
   * under the key's lock and after its lookup, so a replay or a reused key still wins over a refusal
   * exactly as for every other command, and refusals write nothing.
   */
  async function acceptSingle(
    command: MoneyCommand,
    transfer: NewTransfer,
    check: (accounts: Map<string, AccountFacts>) => TransferFailure | undefined,
  ): Promise<CommandResult> {
    const denied = moneyRoleDenial(command.caller);
    if (denied !== undefined) return denied;
    const parties = [transfer.source_account_id, transfer.destination_account_id];
    if (check(await accountFacts(parties)) === undefined) {
      const result = await acceptInOneStatement(command, transfer);
      if (result !== undefined) return result;
    }
    return runCommand(command, async (tx) => {
      const refused = check(await readAccountFacts(tx, parties));
      if (refused !== undefined) return { ok: false, failure: refused };
      return acceptOne(tx, command, transfer);
    });
  }

  /** The one-statement accept of {@link acceptSingle}; `undefined` when the transactional path must decide. */
  async function acceptInOneStatement(
    command: MoneyCommand,
    transfer: NewTransfer,
  ): Promise<CommandResult | undefined> {
    const row = newTransferRow(transfer, new Date());
    const response = acceptedResponse(command, toTransferView(row), `/v1/transfers/${row.id}`);
    const outcome = await acceptStatements.submit({
      scope: idempotencyScope(command),
      response,
      work: {
        transfer: row,
        origin: { client_id: command.caller.client_id, request_id: command.request_id },
        messages: [jobs.screenTransfer(row.id, command.request_id), ...holdExpiryJobs(command, row)],
        audit: command.audit_entry?.(response.status),
      },
    });
    return outcome === undefined ? undefined : commandResultOf(outcome);
  }

  function renderer(command: MoneyCommand): (status: number, body: unknown) => string {
    return command.render ?? ((_status, body) => JSON.stringify(body));
  }

  function acceptedResponse(command: MoneyCommand, body: unknown, location?: string): StoredResponse {
    return {
      status: 202,
      body: renderer(command)(202, body),
      headers: location === undefined ? {} : { location },
    };
  }

  function accepted(command: MoneyCommand, body: unknown, location?: string): WorkResult<TransferFailure> {
    return { ok: true, response: acceptedResponse(command, body, location) };
  }

  /**
   * Checks that both accounts of a transfer exist and that the caller may use them: a customer only
   * from its own account (anything else is 404, so account ids cannot be probed). Settlement accounts
   * are reached only through deposits and withdrawals. Frozen, closed or mismatched accounts pass here:
   * the ledger decides those at posting time and rejects the transfer with a reason.
   */
  function checkParties(
    caller: Caller,
    accounts: Map<string, AccountFacts>,
    transfer: CheckedTransfer,
    prefix: string,
  ): TransferFailure | undefined {
    const source = accounts.get(transfer.source_account_id);
    const destination = accounts.get(transfer.destination_account_id);
    const at = prefix === '' ? '' : ` (${prefix.slice(1)})`;
    if (source === undefined || !callerMayDebit(caller, source)) {
      return refuse('not_found', `Source account ${transfer.source_account_id} not found${at}.`);
    }
    if (destination === undefined || (destination.kind === 'settlement' && caller.role === 'customer')) {
      return refuse('not_found', `Destination account ${transfer.destination_account_id} not found${at}.`);
    }
    const settlementSide =
      source.kind === 'settlement' ? 'source' : destination.kind === 'settlement' ? 'destination' : undefined;
    if (settlementSide !== undefined) {
      return invalid([
        {
          path: `${prefix}/${settlementSide}_account_id`,
          message: 'Settlement accounts are moved through /v1/deposits and /v1/withdrawals.',
        },
      ]);
    }
    return undefined;
  }

  /**
   * Inserts transfers (`received`) and, in the same statement, the outbox rows that announce them
   * (`announced`, built beforehand from the new ids): one round trip for the accepting half of a
   * transfer's life, and the jobs exist exactly when the rows do.
   */
  async function insertTransfers(
    tx: Prisma.TransactionClient,
    command: MoneyCommand,
    transfers: readonly NewTransfer[],
    announced: readonly OutboxMessage[],
  ): Promise<TransferRow[]> {
    const queued =
      announced.length === 0 ? Prisma.empty : Prisma.sql`WITH queued AS (${outboxInsert(announced)})`;
    const rows = await tx.$queryRaw<TransferRow[]>`
      ${queued}
      INSERT INTO transfers AS t (id, kind, source_account_id, destination_account_id, amount, currency, description,
                                  metadata, hold, hold_expires_at, reverses_transfer_id, batch_id, client_id, request_id)
      SELECT i.id, i.kind, i.source_account_id, i.destination_account_id, i.amount, i.currency, i.description,
             i.metadata, i.hold_seconds IS NOT NULL,
             CASE WHEN i.hold_seconds IS NULL THEN NULL ELSE now() + make_interval(secs => i.hold_seconds) END,
             i.reverses_transfer_id, i.batch_id, ${command.caller.client_id}, ${command.request_id}
      FROM unnest(
        ${sqlArray(transfers.map((row) => row.id))}::uuid[],
        ${sqlArray(transfers.map((row) => row.kind))}::transfer_kind[],
        ${sqlArray(transfers.map((row) => row.source_account_id))}::uuid[],
        ${sqlArray(transfers.map((row) => row.destination_account_id))}::uuid[],
        ${sqlArray(transfers.map((row) => row.amount))}::numeric[],
        ${sqlArray(transfers.map((row) => row.currency))}::text[],
        ${sqlArray(transfers.map((row) => row.description))}::text[],
        ${sqlArray(transfers.map((row) => JSON.stringify(row.metadata)))}::jsonb[],
        ${sqlArray(transfers.map((row) => (row.hold_expires_in_seconds === null ? null : String(row.hold_expires_in_seconds))))}::integer[],
        ${sqlArray(transfers.map((row) => row.reverses_transfer_id))}::uuid[],
        ${sqlArray(transfers.map((row) => row.batch_id))}::uuid[]
      ) AS i(id, kind, source_account_id, destination_account_id, amount, currency, description, metadata,
             hold_seconds, reverses_transfer_id, batch_id)
      RETURNING ${TRANSFER_COLUMNS}`;
    assert.equal(rows.length, transfers.length, 'every transfer row was inserted');
    // RETURNING order is not promised by SQL; answer in request order.
    const byId = new Map(rows.map((row) => [row.id, row]));
    return transfers.map((transfer) => {
      const row = byId.get(transfer.id);
      assert.ok(row !== undefined);
      return row;
    });
  }

  /**
   * A hold's expiry job, published by the relay once `hold_expires_at` (and a margin for clock skew) has
   * passed. Writing it now, in the accepting transaction, means no later crash can lose it; the ledger's
   * sweeper remains the safety net, and a hold captured or voided first makes the job a no-op. It is
   * written after the row, because its time comes from the row's (database-clock) expiry.
   */
  function holdExpiryJobs(command: MoneyCommand, row: TransferRow): OutboxMessage[] {
    if (!row.hold || row.hold_expires_at === null) return [];
    return [
      {
        ...jobs.expireHold(row.id, command.request_id),
        available_at: new Date(row.hold_expires_at.getTime() + HOLD_EXPIRY_MARGIN_MS),
      },
    ];
  }

  async function enqueueHoldExpiry(
    tx: Prisma.TransactionClient,
    command: MoneyCommand,
    row: TransferRow,
  ): Promise<void> {
    const expiry = holdExpiryJobs(command, row);
    if (expiry.length > 0) await enqueueOutbox(tx, expiry);
  }

  /** Accepts one transfer: its row, its screening job and, for a hold, its expiry job. */
  async function acceptOne(
    tx: Prisma.TransactionClient,
    command: MoneyCommand,
    transfer: NewTransfer,
  ): Promise<WorkResult<TransferFailure>> {
    const [row] = await insertTransfers(
      tx,
      command,
      [transfer],
      [jobs.screenTransfer(transfer.id, command.request_id)],
    );
    assert.ok(row !== undefined);
    await enqueueHoldExpiry(tx, command, row);
    return accepted(command, toTransferView(row), `/v1/transfers/${row.id}`);
  }

  /**
   * The settlement account of a currency, created on first use and remembered: its id never changes
   * (accounts are never deleted), so each deposit or withdrawal saves two statements.
   */
  const settlementIds = new Map<CurrencyCode, string>();
  async function settlementAccountId(currency: CurrencyCode): Promise<string> {
    const known = settlementIds.get(currency);
    if (known !== undefined) return known;
    const { id } = await accounts.ensureSettlementAccount(currency);
    settlementIds.set(currency, id);
    return id;
  }

  async function settlementTransfer(
    command: MoneyCommand,
    input: SettlementTransferInput,
    kind: 'deposit' | 'withdrawal',
  ): Promise<CommandResult> {
    if (!SERVICE_ROLES.has(command.caller.role))
      return refuse('forbidden', `Only service and admin clients make ${kind}s.`);
    const errors: FieldError[] = [];
    const idError = checkUuid(input.account_id, '/account_id');
    if (idError !== undefined) errors.push(idError);
    const currencyError = checkCurrency(input.currency, '/currency');
    if (currencyError !== undefined) errors.push(currencyError);
    const amount =
      currencyError === undefined ? checkAmount(input.amount, input.currency, '/amount') : undefined;
    if (amount !== undefined && !amount.ok) errors.push(amount.error);
    const descriptionError = checkDescription(input.description, '/description');
    if (descriptionError !== undefined) errors.push(descriptionError);
    if (errors.length > 0 || amount === undefined || !amount.ok) return invalid(errors);
    const account_id = input.account_id.toLowerCase();
    // Created (once per currency, race-safe) before the transaction by the accounts service that owns
    // account rows. It is infrastructure rather than part of this request: it may outlive a refused one.
    const settlement_id = await settlementAccountId(input.currency as CurrencyCode);

    const transfer: NewTransfer = {
      id: newRowId(),
      kind,
      source_account_id: kind === 'deposit' ? settlement_id : account_id,
      destination_account_id: kind === 'deposit' ? account_id : settlement_id,
      amount: amount.amount,
      currency: input.currency,
      description: input.description ?? null,
      metadata: {},
      hold_expires_in_seconds: null,
      reverses_transfer_id: null,
      batch_id: null,
    };
    return acceptSingle(command, transfer, (accounts) => {
      const account = accounts.get(account_id);
      if (account === undefined) return refuse('not_found', `Account ${account_id} not found.`);
      if (account.kind === 'settlement')
        return invalid([{ path: '/account_id', message: 'Must be a customer account.' }]);
      return undefined;
    });
  }

  /** Reads a transfer with the owners of both accounts, or `undefined` if the caller may not see it. */
  async function readVisible(
    client: Prisma.TransactionClient | Database,
    caller: Caller,
    transfer_id: string,
    lock: 'for_update' | 'none',
  ): Promise<VisibleTransferRow | undefined> {
    if (!UUID_PATTERN.test(transfer_id)) return undefined;
    const [row] = await client.$queryRaw<VisibleTransferRow[]>`
      SELECT ${TRANSFER_COLUMNS}, src.customer_id::text AS source_customer_id, dst.customer_id::text AS destination_customer_id
      FROM transfers t
      JOIN accounts src ON src.id = t.source_account_id
      JOIN accounts dst ON dst.id = t.destination_account_id
      WHERE t.id = ${transfer_id}::uuid
      ${lock === 'for_update' ? Prisma.sql`FOR UPDATE OF t` : Prisma.empty}`;
    if (row === undefined) return undefined;
    return callerMaySee(caller, row) ? row : undefined;
  }

  /** Shared start of capture, void and reverse: the transfer must be visible (else 404) and the caller a service (else 403). */
  async function loadForCommand(
    tx: Prisma.TransactionClient,
    command: MoneyCommand,
    transfer_id: string,
    lock: 'for_update' | 'none',
  ): Promise<{ ok: true; row: VisibleTransferRow } | { ok: false; failure: TransferFailure }> {
    const row = await readVisible(tx, command.caller, transfer_id, lock);
    if (row === undefined)
      return { ok: false, failure: refuse('not_found', `Transfer ${transfer_id} not found.`) };
    if (!SERVICE_ROLES.has(command.caller.role)) {
      return {
        ok: false,
        failure: refuse('forbidden', 'Only service and admin clients change existing transfers.'),
      };
    }
    return { ok: true, row };
  }

  /**
   * Records what the client wants done with a pending hold and tells the ledger. The conditional UPDATE
   * (`status = 'pending' AND hold_action IS NULL`) is the guard: of two racing commands exactly one
   * changes the row, and the ledger's state machine carries the action out once.
   */
  async function holdCommand(
    command: MoneyCommand,
    transfer_id: string,
    action: 'capture' | 'void',
    amount_input: unknown,
  ): Promise<CommandResult> {
    return runCommand(command, async (tx) => {
      const loaded = await loadForCommand(tx, command, transfer_id, 'none');
      if (!loaded.ok) return loaded;
      const { row } = loaded;
      if (!row.hold || row.status !== 'pending' || row.hold_action !== null) {
        return { ok: false, failure: refuse('invalid_state', describeHoldState(row, action)) };
      }
      let amount: string | null = null;
      if (action === 'capture' && amount_input !== undefined) {
        const checked = checkAmount(amount_input, row.currency, '/amount');
        if (!checked.ok) return { ok: false, failure: invalid([checked.error]) };
        if (new Decimal(checked.amount).gt(row.amount)) {
          const held = toTransferView(row).amount;
          return {
            ok: false,
            failure: invalid([{ path: '/amount', message: `Must be at most the held amount (${held}).` }]),
          };
        }
        amount = checked.amount;
      }
      // An expired hold is the sweeper's to void; capturing it now would race the expiry.
      const [updated] = await tx.$queryRaw<TransferRow[]>`
        UPDATE transfers AS t
        SET hold_action = ${action}::hold_action,
            hold_action_amount = ${action === 'capture' ? Prisma.sql`coalesce(${amount}::numeric, t.amount)` : Prisma.sql`NULL`},
            updated_at = now()
        WHERE t.id = ${row.id}::uuid AND t.status = 'pending' AND t.hold_action IS NULL
          ${action === 'capture' ? Prisma.sql`AND t.hold_expires_at > now()` : Prisma.empty}
        RETURNING ${TRANSFER_COLUMNS}`;
      if (updated === undefined) {
        const verb = action === 'capture' ? 'captured' : 'voided';
        return {
          ok: false,
          failure: refuse('invalid_state', `The hold has expired or changed and can no longer be ${verb}.`),
        };
      }
      await enqueueOutbox(tx, jobs.advanceTransfer(updated.id, command.request_id, action));
      return accepted(command, toTransferView(updated), `/v1/transfers/${updated.id}`);
    });
  }

  async function visibleAccountIds(
    caller: Caller,
    account_id: string | undefined,
  ): Promise<string[] | 'all' | undefined> {
    if (SEE_ALL_ROLES.has(caller.role)) {
      if (account_id === undefined) return 'all';
      const account = (await accountFacts([account_id])).get(account_id);
      return account === undefined ? undefined : [account_id];
    }
    const customer_id = customerOf(caller);
    if (customer_id === undefined) return undefined;
    const rows = await db.$queryRaw<Array<{ id: string }>>`
      SELECT id::text AS id FROM accounts WHERE customer_id = ${customer_id}::uuid
      ORDER BY id LIMIT ${CUSTOMER_ACCOUNTS_LISTED_MAX}`;
    const own = rows.map((row) => row.id);
    if (account_id === undefined) return own;
    return own.includes(account_id) ? [account_id] : undefined;
  }

  const service: TransferService = {
    createTransfer(command, input) {
      const checked = checkTransferFields(input, '', hold_bounds);
      if (!checked.ok) return Promise.resolve(invalid(checked.errors));
      const transfer: NewTransfer = {
        ...checked.value,
        id: newRowId(),
        kind: 'transfer',
        reverses_transfer_id: null,
        batch_id: null,
      };
      return acceptSingle(command, transfer, (accounts) =>
        checkParties(command.caller, accounts, transfer, ''),
      );
    },

    createDeposit: (command, input) => settlementTransfer(command, input, 'deposit'),
    createWithdrawal: (command, input) => settlementTransfer(command, input, 'withdrawal'),

    createBatch(command, input) {
      const items = input.transfers;
      if (items.length === 0 || items.length > LIMITS.batch_size_max) {
        return Promise.resolve(
          invalid([
            { path: '/transfers', message: `A batch holds 1 to ${LIMITS.batch_size_max} transfers.` },
          ]),
        );
      }
      const errors: FieldError[] = [];
      const checked: CheckedTransfer[] = [];
      items.forEach((item, index) => {
        const result = checkTransferFields(item, `/transfers/${index}`, hold_bounds);
        if (result.ok) checked.push(result.value);
        else errors.push(...result.errors);
      });
      if (errors.length > 0) return Promise.resolve(invalid(errors));
      const atomic = input.atomic ?? false;

      return runCommand(command, async (tx) => {
        const accounts = await readAccountFacts(
          tx,
          checked.flatMap((transfer) => [transfer.source_account_id, transfer.destination_account_id]),
        );
        for (const [index, transfer] of checked.entries()) {
          const refused = checkParties(command.caller, accounts, transfer, `/transfers/${index}`);
          if (refused !== undefined) return { ok: false, failure: refused };
        }
        const batch_id = newRowId();
        await tx.$executeRaw`
          INSERT INTO transfer_batches (id, atomic, client_id) VALUES (${batch_id}::uuid, ${atomic}, ${command.caller.client_id})`;
        // Every transfer records its batch. Only `transfer_batches.atomic` makes the ledger post them all or
        // none (and screening take them as one job); a non-atomic batch's transfers each travel alone.
        const transfers = checked.map((transfer) => ({
          ...transfer,
          id: newRowId(),
          kind: 'transfer' as const,
          reverses_transfer_id: null,
          batch_id,
        }));
        const rows = await insertTransfers(
          tx,
          command,
          transfers,
          atomic
            ? [jobs.screenBatch(batch_id, command.request_id)]
            : transfers.map((transfer) => jobs.screenTransfer(transfer.id, command.request_id)),
        );
        const body: BatchView = { id: batch_id, atomic, transfers: rows.map(toTransferView) };
        return accepted(command, body);
      });
    },

    captureHold: (command, transfer_id, input) => holdCommand(command, transfer_id, 'capture', input.amount),
    voidHold: (command, transfer_id) => holdCommand(command, transfer_id, 'void', undefined),

    reverseTransfer(command, transfer_id, input) {
      const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
      if (reason.length === 0 || reason.length > LIMITS.description_length_max) {
        return Promise.resolve(
          invalid([
            { path: '/reason', message: `Must be 1 to ${LIMITS.description_length_max} characters.` },
          ]),
        );
      }
      return runCommand(command, async (tx) => {
        // The row lock serializes reversals of one transfer: the second waits, then sees the first's row.
        const loaded = await loadForCommand(tx, command, transfer_id, 'for_update');
        if (!loaded.ok) return loaded;
        const { row } = loaded;
        if (row.status !== 'posted') {
          return {
            ok: false,
            failure: refuse(
              'invalid_state',
              `Only a posted transfer can be reversed; this one is ${row.status}.`,
            ),
          };
        }
        // A rejected reversal moved nothing back: it does not stand in the way of another. (`phase`, not
        // `status`: the phase is what the partial unique index of reversals names.)
        const [existing] = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT id::text AS id FROM transfers WHERE reverses_transfer_id = ${row.id}::uuid AND phase <> 'rejected'`;
        if (existing !== undefined) {
          return {
            ok: false,
            failure: refuse('invalid_state', `The transfer was already reversed by ${existing.id}.`),
          };
        }
        return acceptOne(tx, command, {
          id: newRowId(),
          kind: 'reversal',
          source_account_id: row.destination_account_id,
          destination_account_id: row.source_account_id,
          // A captured hold moved only the captured part; that is what goes back.
          amount: row.captured_amount ?? row.amount,
          currency: row.currency,
          description: reason,
          metadata: {},
          hold_expires_in_seconds: null,
          reverses_transfer_id: row.id,
          batch_id: null,
        });
      });
    },

    async getTransfer(caller, transfer_id) {
      const row = await readVisible(db, caller, transfer_id, 'none');
      if (row === undefined) return refuse('not_found', `Transfer ${transfer_id} not found.`);
      return { ok: true, value: toTransferView(row) };
    },

    async listTransfers(caller, query) {
      const limit = query.limit ?? LIMITS.list_limit_default;
      const errors: FieldError[] = [];
      if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.list_limit_max) {
        errors.push({
          path: '/limit',
          message: `Must be a whole number from 1 to ${LIMITS.list_limit_max}.`,
        });
      }
      const after = query.cursor === undefined ? CURSOR_START : decodeTransferCursor(query.cursor);
      if (after === undefined) errors.push({ path: '/cursor', message: 'Not a cursor this service issued.' });
      if (query.account_id !== undefined) {
        const idError = checkUuid(query.account_id, '/account_id');
        if (idError !== undefined) errors.push(idError);
      }
      if (errors.length > 0 || after === undefined) return invalid(errors);

      const account_id = query.account_id?.toLowerCase();
      const accounts = await visibleAccountIds(caller, account_id);
      if (accounts === undefined) {
        return account_id === undefined
          ? { ok: true, value: { data: [], next_cursor: null } }
          : refuse('not_found', `Account ${account_id} not found.`);
      }
      // Through the (phase, id) index: status itself is never indexed (see `transferStatusIs`).
      const status =
        query.status === undefined
          ? Prisma.empty
          : Prisma.sql`AND ${transferStatusIs(Prisma.sql`${query.status}::transfer_status`)}`;
      const fetch = limit + 1;
      // Keyset pagination, newest first. Each branch walks an (account, id) or primary-key index from the
      // cursor downwards and stops after `limit + 1` rows, so every page costs the same however deep.
      const rows =
        accounts === 'all'
          ? await db.$queryRaw<TransferRow[]>`
              SELECT ${TRANSFER_COLUMNS} FROM transfers t
              WHERE t.id < ${after}::uuid ${status}
              ORDER BY t.id DESC LIMIT ${fetch}`
          : await db.$queryRaw<TransferRow[]>`
              SELECT ${TRANSFER_COLUMNS} FROM transfers t
              WHERE t.id IN (
                SELECT page.id FROM unnest(${accounts}::uuid[]) AS a(account_id)
                CROSS JOIN LATERAL (
                  (SELECT id FROM transfers WHERE source_account_id = a.account_id AND id < ${after}::uuid ${status}
                   ORDER BY id DESC LIMIT ${fetch})
                  UNION ALL
                  (SELECT id FROM transfers WHERE destination_account_id = a.account_id AND id < ${after}::uuid ${status}
                   ORDER BY id DESC LIMIT ${fetch})
                ) AS page)
              ORDER BY t.id DESC LIMIT ${fetch}`;
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        ok: true,
        value: {
          data: page.map(toTransferView),
          next_cursor: rows.length > limit && last !== undefined ? encodeTransferCursor(last.id) : null,
        },
      };
    },

    async waitForFinal(caller, transfer_id, { wait_seconds, signal }) {
      assert.ok(
        wait_seconds >= 0 && wait_seconds <= LIMITS.wait_seconds_max,
        'wait_seconds is bounded by the app',
      );
      const deadline = Date.now() + wait_seconds * 1000;
      let pause_ms = 25;
      for (;;) {
        const found = await service.getTransfer(caller, transfer_id);
        if (!found.ok || FINAL_STATUSES.has(found.value.status)) return found;
        const remaining_ms = deadline - Date.now();
        if (remaining_ms <= 0 || signal?.aborted) return found;
        // Bounded exponential backoff: quick answers for fast transfers, little load for slow ones.
        try {
          await sleep(
            Math.min(pause_ms, remaining_ms),
            undefined,
            signal === undefined ? undefined : { signal },
          );
        } catch {
          return found;
        }
        pause_ms = Math.min(pause_ms * 2, wait_poll_interval_ms_max);
      }
    },
  };
  return service;
}

/** An idempotent command's outcome as the service answers it; conflicts become their problems. */
function commandResultOf(outcome: IdempotencyOutcome<TransferFailure>): CommandResult {
  if (outcome.ok) return outcome;
  if ('failure' in outcome) return outcome.failure;
  return outcome.conflict === 'idempotency_request_in_progress'
    ? refuse(outcome.conflict, 'A request with this Idempotency-Key is still being processed; retry shortly.')
    : refuse(outcome.conflict, 'This Idempotency-Key was already used with a different request.');
}

function moneyRoleDenial(caller: Caller): TransferFailure | undefined {
  if (!MONEY_ROLES.has(caller.role))
    return refuse('forbidden', `The ${caller.role} role is read-only on money.`);
  if (caller.role === 'customer' && customerOf(caller) === undefined) {
    return refuse('forbidden', 'The client is bound to no customer.');
  }
  return undefined;
}

function callerMayDebit(caller: Caller, account: AccountFacts): boolean {
  if (SERVICE_ROLES.has(caller.role)) return true;
  const customer_id = customerOf(caller);
  return customer_id !== undefined && account.customer_id === customer_id;
}

function callerMaySee(
  caller: Caller,
  row: { source_customer_id: string | null; destination_customer_id: string | null },
): boolean {
  if (SEE_ALL_ROLES.has(caller.role)) return true;
  const customer_id = customerOf(caller);
  if (customer_id === undefined) return false;
  return row.source_customer_id === customer_id || row.destination_customer_id === customer_id;
}

/**
 * A unique violation on `transfers.reverses_transfer_id`. Raw queries surface through Prisma as P2010
 * with the Postgres code inside the driver adapter's cause, so both places are looked at.
 */
function isReversalConflict(error: unknown): boolean {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)
    ?.meta?.driverAdapterError?.cause;
  const state = typeof cause?.originalCode === 'string' ? cause.originalCode : sqlStateOf(error);
  return state === '23505' && error instanceof Error && error.message.includes('reverses_transfer_id');
}

/** The customer a customer-role caller acts for; fails closed (undefined) for anything malformed. */
function customerOf(caller: Caller): string | undefined {
  if (caller.role !== 'customer' || typeof caller.customer_id !== 'string') return undefined;
  return UUID_PATTERN.test(caller.customer_id) ? caller.customer_id.toLowerCase() : undefined;
}

function describeHoldState(row: TransferRow, action: 'capture' | 'void'): string {
  const verb = action === 'capture' ? 'captured' : 'voided';
  if (!row.hold) return `The transfer is not a hold, so it cannot be ${verb}.`;
  if (row.hold_action !== null) return `A ${row.hold_action} was already requested for this hold.`;
  return `Only a pending hold can be ${verb}; this one is ${row.status}.`;
}
