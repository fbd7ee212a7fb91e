import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { Database } from '@ledgerline/db';
import { checkInvariants } from '@ledgerline/ledger';
import { Decimal } from '@ledgerline/money';
import { QUEUE_NAMES } from '@ledgerline/queue';
import type { Bank, TransferRecord } from './clients';
import type { FreezeRecord } from './freezes';
import { FINAL_STATUSES } from './support';

/** Job states that mean work is left to do; `failed` is judged on its own (nothing will retry it). */
const UNFINISHED_JOB_STATES: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'];
const EXAMPLES_MAX = 5;

export interface Violation {
  kind: string;
  detail: string;
}

/** How each check reports what it found: a violation's kind and its detail (a string, or anything JSON). */
export type AddViolation = (kind: string, detail: unknown) => void;

/** The BullMQ queues of the platform, seen from outside as an operator would. */
export class QueueInspector {
  private readonly connection: Redis;
  private readonly queues: Queue[];

  constructor(redis_url: string, prefix: string) {
    this.connection = new Redis(redis_url, { maxRetriesPerRequest: null, connectTimeout: 5_000 });
    this.connection.on('error', () => undefined);
    this.queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: this.connection, prefix }));
  }

  /** Jobs per queue and state, only where non-zero. */
  async counts(states: JobType[]): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const queue of this.queues) {
      const counts = await queue.getJobCounts(...states);
      for (const [state, count] of Object.entries(counts))
        if (count > 0) found[`${queue.name}.${state}`] = count;
    }
    return found;
  }

  async failedReasons(): Promise<string[]> {
    const reasons: string[] = [];
    for (const queue of this.queues) {
      for (const job of await queue.getFailed(0, EXAMPLES_MAX - 1))
        reasons.push(`${queue.name} ${job.id}: ${job.failedReason}`);
    }
    return reasons;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

/**
 * Waits, bounded, until the platform has nothing left to do: every transfer final, every outbox row
 * published, no job waiting, running or delayed. A job whose worker was killed is only taken over after
 * BullMQ's stall check (30 s lock plus 30 s interval), so the bound must exceed a minute.
 */
export async function drain(
  pool: pg.Pool,
  queues: QueueInspector,
  timeout_ms: number,
): Promise<{ drained: boolean; waited_ms: number }> {
  const started_at = Date.now();
  while (Date.now() - started_at < timeout_ms) {
    const quiet = await isQuiet(pool, queues).catch(() => false);
    if (quiet) return { drained: true, waited_ms: Date.now() - started_at };
    await sleep(500);
  }
  return { drained: false, waited_ms: Date.now() - started_at };
}

async function isQuiet(pool: pg.Pool, queues: QueueInspector): Promise<boolean> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM transfers WHERE status NOT IN ('posted', 'rejected', 'voided'))::int AS open,
            (SELECT count(*) FROM outbox_messages WHERE published_at IS NULL)::int AS unpublished`,
  );
  if (rows[0].open > 0 || rows[0].unpublished > 0) return false;
  return Object.keys(await queues.counts(UNFINISHED_JOB_STATES)).length === 0;
}

export interface Outcomes {
  posted: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
  /** Transfers whose client never saw a 202 but which the platform did record. */
  indeterminate_recorded: number;
  /** Compliance cases by status, as stored. */
  cases_by_status: Record<string, number>;
  /** Accepted holds by what became of them: captured, voided, expired, rejected, ... */
  holds_by_outcome: Record<string, number>;
  /** Stored reversals by status. */
  reversals_by_status: Record<string, number>;
  /** Accepted atomic batches by outcome: posted (every transfer) or rejected (every transfer). */
  atomic_batches: Record<string, number>;
  /** Accepted deposits and withdrawals by kind and status: `deposit.posted`, `withdrawal.rejected`, ... */
  movements: Record<string, number>;
  /** Freezes by outcome: complete, indeterminate. */
  freezes: Record<string, number>;
}

export interface TransferRow {
  id: string;
  kind: string;
  status: string;
  status_reason: string | null;
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  chaos_key: string | null;
  hold: boolean;
  captured_amount: string | null;
  batch_id: string | null;
  debits: number;
  credits: number;
  /** The sum of its debit entries (null without entries). */
  debited: string | null;
}

/** Everything the auditor checks after the storm, as a list of violations (empty when all holds). */
export async function checkAll(context: {
  pool: pg.Pool;
  db: Database;
  queues: QueueInspector;
  bank: Bank;
  records: TransferRecord[];
  freezes: FreezeRecord[];
}): Promise<{ violations: Violation[]; outcomes: Outcomes }> {
  const { pool, bank, records } = context;
  const violations: Violation[] = [];
  const add: AddViolation = (kind, detail) =>
    violations.push({ kind, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) });

  // The ledger's own invariants: zero sum per currency, balances equal to entries, entries to transfers.
  const report = await checkInvariants(context.db, { violations_max: 20, timeout_ms: 120_000 });
  for (const violation of report.violations) add(`ledger_${violation.kind}`, violation);

  const { rows: overdrawn } = await pool.query(
    `SELECT id::text AS id, (posted_credits - posted_debits)::text AS posted, overdraft_limit::text AS overdraft_limit
       FROM accounts WHERE kind <> 'settlement' AND posted_credits - posted_debits - pending_debits + overdraft_limit < 0`,
  );
  for (const row of overdrawn) add('beyond_overdraft', row);

  const { rows: transfers } = await pool.query<TransferRow>(
    `SELECT t.id::text AS id, t.kind::text AS kind, t.status::text AS status, t.status_reason, t.source_account_id::text AS source_account_id,
            t.destination_account_id::text AS destination_account_id, t.amount::text AS amount, t.currency::text AS currency,
            coalesce(t.metadata->>'chaos_key', CASE WHEN t.kind IN ('deposit', 'withdrawal') THEN t.description END) AS chaos_key, t.hold, t.captured_amount::text AS captured_amount,
            t.batch_id::text AS batch_id,
            count(e.id) FILTER (WHERE e.direction = 'debit')::int AS debits,
            count(e.id) FILTER (WHERE e.direction = 'credit')::int AS credits,
            (sum(e.amount) FILTER (WHERE e.direction = 'debit'))::text AS debited
       FROM transfers t LEFT JOIN journal_entries e ON e.transfer_id = t.id
      GROUP BY t.id`,
  );
  const byId = new Map(transfers.map((row) => [row.id, row]));
  await checkMoneyConserved(pool, bank, transfers, add);
  const byKey = new Map<string, TransferRow[]>();
  for (const row of transfers)
    if (row.chaos_key) byKey.set(row.chaos_key, [...(byKey.get(row.chaos_key) ?? []), row]);
  const recordsByKey = new Map(records.map((record) => [record.key, record]));

  // Every transfer, whoever asked for it, is final and moved money exactly once or not at all.
  for (const row of transfers) {
    if (!FINAL_STATUSES.has(row.status)) add('transfer_not_final', { id: row.id, status: row.status });
    const expected = row.status === 'posted' ? 1 : 0;
    if (row.debits !== expected || row.credits !== expected)
      add('not_exactly_once', { id: row.id, status: row.status, debits: row.debits, credits: row.credits });
    // A captured hold moves what was captured; everything else its whole amount.
    const moved = row.captured_amount ?? row.amount;
    if (row.status === 'posted' && row.debited !== null && !new Decimal(row.debited).equals(moved))
      add('posted_amount_wrong', {
        id: row.id,
        amount: row.amount,
        captured_amount: row.captured_amount,
        debited: row.debited,
      });
  }
  // With every hold final, nothing may stay reserved.
  const { rows: reserved } = await pool.query(
    `SELECT id::text AS id, pending_debits::text AS pending_debits, pending_credits::text AS pending_credits
       FROM accounts WHERE pending_debits <> 0 OR pending_credits <> 0`,
  );
  for (const row of reserved) add('reservation_left', row);
  // One request (one Idempotency-Key) is one transfer, however often it was retried.
  for (const [key, rows] of byKey) {
    if (rows.length > 1) add('duplicate_transfer', { key, ids: rows.map((row) => row.id) });
    if (!recordsByKey.has(key)) add('phantom_transfer', { key, ids: rows.map((row) => row.id) });
  }

  const outcomes: Outcomes = {
    posted: 0,
    rejected: 0,
    rejected_by_reason: {},
    indeterminate_recorded: 0,
    cases_by_status: {},
    holds_by_outcome: {},
    reversals_by_status: {},
    atomic_batches: {},
    movements: {},
    freezes: {},
  };
  await checkCases(pool, add, outcomes.cases_by_status);
  await checkReversals(pool, records, add, outcomes.reversals_by_status);
  await checkFreezes(pool, context.freezes, add, outcomes.freezes);
  outcomes.atomic_batches = checkAtomicBatches(records, byId, add);
  for (const record of records) {
    for (const anomaly of record.anomalies) add('unexpected_answer', { key: record.key, anomaly });
    if (record.outcome !== 'accepted') {
      if (byKey.has(record.key)) outcomes.indeterminate_recorded += 1;
      continue;
    }
    const row = byId.get(record.transfer_id ?? '');
    if (!row) {
      add('accepted_transfer_lost', { key: record.key, id: record.transfer_id });
      continue;
    }
    if (!matchesRequest(record, row))
      add('accepted_transfer_altered', {
        key: record.key,
        kind: record.kind,
        sent: record.body,
        stored: row,
      });
    if (record.kind !== 'transfer') {
      const name = `${record.kind}.${row.status}`;
      outcomes.movements[name] = (outcomes.movements[name] ?? 0) + 1;
    } else if (record.body.hold) {
      const outcome = holdOutcome(record, row);
      outcomes.holds_by_outcome[outcome.name] = (outcomes.holds_by_outcome[outcome.name] ?? 0) + 1;
      if (outcome.violation !== undefined)
        add(outcome.violation, {
          key: record.key,
          id: row.id,
          hold_action: record.hold_action,
          status: row.status,
          status_reason: row.status_reason,
          captured_amount: row.captured_amount,
        });
    } else if (row.status === 'voided') add('voided_without_hold', { key: record.key, id: row.id });
    if (row.status === 'posted') outcomes.posted += 1;
    if (row.status === 'rejected') {
      outcomes.rejected += 1;
      const reason = row.status_reason ?? 'none';
      outcomes.rejected_by_reason[reason] = (outcomes.rejected_by_reason[reason] ?? 0) + 1;
    }
  }

  // Nothing may be left behind in the pipes.
  const { rows: outbox } = await pool.query(
    `SELECT count(*)::int AS unpublished FROM outbox_messages WHERE published_at IS NULL`,
  );
  if (outbox[0].unpublished > 0) add('outbox_unpublished', { rows: outbox[0].unpublished });
  for (const [state, count] of Object.entries(await context.queues.counts(UNFINISHED_JOB_STATES)))
    add('job_left', { state, count });
  // A failed job is never retried by itself: its transfer waits for an operator.
  const failed = await context.queues.counts(['failed']);
  if (Object.keys(failed).length > 0)
    add('job_failed', { failed, examples: await context.queues.failedReasons() });

  return { violations, outcomes };
}

/**
 * Whether the stored transfer is the one its client sent: its key, kind, currency and amount, and its
 * accounts (a deposit credits, a withdrawal debits the account it names; the settlement account is
 * the other side). A hold is stored as a hold, and nothing else is.
 */
export function matchesRequest(record: TransferRecord, row: TransferRow): boolean {
  const { body } = record;
  const common =
    row.chaos_key === record.key &&
    row.kind === record.kind &&
    row.currency === body.currency &&
    new Decimal(row.amount).equals(body.amount);
  if (!common) return false;
  switch (record.kind) {
    case 'transfer':
      return (
        row.source_account_id === record.body.source_account_id &&
        row.destination_account_id === record.body.destination_account_id &&
        row.hold === (record.body.hold === true)
      );
    case 'deposit':
      return row.destination_account_id === record.body.account_id && !row.hold;
    case 'withdrawal':
      return row.source_account_id === record.body.account_id && !row.hold;
  }
}

/**
 * Transfers among the customer accounts move money; they neither create nor destroy it. So the
 * accounts hold together, per currency, what the funding deposits brought plus the chaos deposits
 * that posted minus the withdrawals that posted (each counted once: duplicates and requests nobody
 * sent are violations of their own below).
 */
async function checkMoneyConserved(
  pool: pg.Pool,
  bank: Bank,
  transfers: TransferRow[],
  add: AddViolation,
): Promise<void> {
  const expected = new Map(
    [...bank.funded_by_currency].map(([currency, funded]) => [currency, new Decimal(funded)]),
  );
  for (const row of transfers) {
    if (
      row.chaos_key === null ||
      row.status !== 'posted' ||
      (row.kind !== 'deposit' && row.kind !== 'withdrawal')
    )
      continue;
    const signed = row.kind === 'deposit' ? new Decimal(row.amount) : new Decimal(row.amount).negated();
    expected.set(row.currency, (expected.get(row.currency) ?? new Decimal(0)).plus(signed));
  }
  const { rows: held } = await pool.query<{ currency: string; posted: string }>(
    `SELECT currency::text AS currency, sum(posted_credits - posted_debits)::text AS posted
       FROM accounts WHERE id = ANY($1::uuid[]) GROUP BY currency`,
    [bank.accounts.map((account) => account.id)],
  );
  for (const [currency, amount] of expected) {
    const posted = held.find((row) => row.currency === currency)?.posted ?? '0';
    if (!new Decimal(posted).equals(amount))
      add('money_not_conserved', { currency, expected: amount.toFixed(2), held_now: posted });
  }
}

/**
 * What became of an accepted hold, and whether that is what its client's capture or void (or neither)
 * allows: an accepted capture posts exactly the amount asked for (the whole hold when none was given),
 * an accepted void voids it, and a hold nobody acted on (or whose action came too late) expires or was
 * rejected before it was ever pending. An action whose answer was lost may have happened or not.
 */
export function holdOutcome(record: TransferRecord, row: TransferRow): { name: string; violation?: string } {
  const name =
    row.status === 'posted'
      ? 'captured'
      : row.status === 'voided'
        ? row.status_reason === 'hold_expired'
          ? 'expired'
          : 'voided'
        : row.status;
  const action = record.hold_action;
  if (action === undefined || action.outcome === 'indeterminate') return { name };
  if (action.outcome === 'accepted' && action.action === 'capture') {
    const asked = action.amount ?? record.body.amount;
    const captured =
      row.status === 'posted' &&
      row.captured_amount !== null &&
      new Decimal(row.captured_amount).equals(asked);
    // A capture the ledger reached while an account was frozen is refused, the hold released.
    const refused_frozen = row.status === 'rejected' && row.status_reason === 'account_frozen';
    return captured || refused_frozen ? { name } : { name, violation: 'hold_capture_not_applied' };
  }
  if (action.outcome === 'accepted' && action.action === 'void') {
    return name === 'voided' ? { name } : { name, violation: 'hold_void_not_applied' };
  }
  return name === 'expired' || name === 'rejected'
    ? { name }
    : { name, violation: 'hold_moved_without_action' };
}

/**
 * Atomic batches: the transfers of one accepted batch are stored under one batch id and end alike,
 * every one posted or none (a rejection of one, by the ledger or by compliance, rejects them all).
 */
export function checkAtomicBatches(
  records: TransferRecord[],
  byId: ReadonlyMap<string, TransferRow>,
  add: AddViolation,
): Record<string, number> {
  const batches = new Map<string, TransferRecord[]>();
  for (const record of records)
    if (record.batch && record.outcome === 'accepted')
      batches.set(record.batch.key, [...(batches.get(record.batch.key) ?? []), record]);
  const by_outcome: Record<string, number> = {};
  for (const [key, members] of batches) {
    const rows = members.map((member) => byId.get(member.transfer_id ?? ''));
    if (rows.some((row) => row === undefined)) continue; // reported as accepted_transfer_lost
    const stored = rows as TransferRow[];
    const batch_ids = new Set(stored.map((row) => row.batch_id));
    if (batch_ids.size !== 1 || batch_ids.has(null) || stored.length !== members[0]!.batch!.size)
      add('batch_not_recorded', { key, batch_ids: [...batch_ids], transfers: stored.length });
    const posted = stored.filter((row) => row.status === 'posted').length;
    if (posted !== 0 && posted !== stored.length)
      add('atomic_batch_split', { key, statuses: stored.map((row) => `${row.id}:${row.status}`) });
    const outcome = posted === stored.length ? 'posted' : posted === 0 ? 'rejected' : 'split';
    by_outcome[outcome] = (by_outcome[outcome] ?? 0) + 1;
  }
  return by_outcome;
}

/**
 * Reversals: each stored one sends back exactly what its posted original moved (the captured part of a
 * hold), between the same two accounts the other way round, and was asked for by the original's
 * client; each reversal a client saw accepted is stored as the reversal of its transfer. At most one
 * reversal per transfer is the schema's unique key; the transfer checks above make each final once.
 */
async function checkReversals(
  pool: pg.Pool,
  records: TransferRecord[],
  add: AddViolation,
  by_status: Record<string, number>,
): Promise<void> {
  const { rows } = await pool.query<{
    id: string;
    status: string;
    kind: string;
    amount: string;
    source_account_id: string;
    destination_account_id: string;
    original_id: string;
    original_status: string;
    original_moved: string;
    original_source: string;
    original_destination: string;
  }>(
    `SELECT r.id::text AS id, r.status::text AS status, r.kind::text AS kind, r.amount::text AS amount,
            r.source_account_id::text AS source_account_id, r.destination_account_id::text AS destination_account_id,
            o.id::text AS original_id, o.status::text AS original_status, coalesce(o.captured_amount, o.amount)::text AS original_moved,
            o.source_account_id::text AS original_source, o.destination_account_id::text AS original_destination
       FROM transfers r JOIN transfers o ON o.id = r.reverses_transfer_id`,
  );
  const asked = new Map<string, NonNullable<TransferRecord['reversal']>>();
  for (const record of records)
    if (record.reversal && record.transfer_id) asked.set(record.transfer_id, record.reversal);
  const stored = new Map(rows.map((row) => [row.original_id, row]));
  for (const row of rows) {
    by_status[row.status] = (by_status[row.status] ?? 0) + 1;
    const mirrors =
      row.kind === 'reversal' &&
      row.original_status === 'posted' &&
      new Decimal(row.amount).equals(row.original_moved) &&
      row.source_account_id === row.original_destination &&
      row.destination_account_id === row.original_source;
    if (!mirrors) add('reversal_mismatch', row);
    const reversal = asked.get(row.original_id);
    if (reversal === undefined || reversal.outcome === 'not_sent') add('phantom_reversal', row);
  }
  for (const [original_id, reversal] of asked) {
    if (reversal.outcome !== 'accepted') continue;
    if (stored.get(original_id)?.id !== reversal.transfer_id)
      add('accepted_reversal_lost', { original_id, reversal });
  }
}

/**
 * Frozen accounts neither send nor receive: an account gets no entry while it is frozen, a hold's
 * capture included. The entries it got meanwhile are those after the newest one read once the freeze
 * was confirmed, up to the newest one read before the unfreeze (postings to one account are ordered by
 * its lock, so `account_sequence` orders them exactly). A freeze the operator could not confirm, or
 * whose entries it could not read, is counted and not judged.
 */
async function checkFreezes(
  pool: pg.Pool,
  freezes: FreezeRecord[],
  add: AddViolation,
  by_outcome: Record<string, number>,
): Promise<void> {
  for (const freeze of freezes) {
    by_outcome[freeze.outcome] = (by_outcome[freeze.outcome] ?? 0) + 1;
    for (const anomaly of freeze.anomalies)
      add('unexpected_answer', { account_id: freeze.account_id, anomaly });
    if (freeze.after_freeze_entry === null || freeze.before_unfreeze_entry === null) continue;
    const { rows } = await pool.query<{ entry_id: string; transfer_id: string; kind: string; hold: boolean }>(
      `SELECT e.id::text AS entry_id, t.id::text AS transfer_id, t.kind::text AS kind, t.hold
         FROM journal_entries e JOIN transfers t ON t.id = e.transfer_id
        WHERE e.account_id = $1::uuid
          AND e.account_sequence > (SELECT account_sequence FROM journal_entries WHERE id = $2::uuid)
          AND e.account_sequence <= (SELECT account_sequence FROM journal_entries WHERE id = $3::uuid)`,
      [freeze.account_id, freeze.after_freeze_entry, freeze.before_unfreeze_entry],
    );
    for (const row of rows) add('posted_while_frozen', { account_id: freeze.account_id, ...row });
  }
}

/**
 * Held transfers and their compliance cases: every case decided, and each transfer where its case
 * sent it. A rejected case's transfer is rejected as `compliance_rejected`; an approved one's went on
 * to the ledger (posted, or rejected by it for a ledger reason); no transfer is `compliance_rejected`
 * without a rejected case behind it.
 */
async function checkCases(
  pool: pg.Pool,
  add: AddViolation,
  by_status: Record<string, number>,
): Promise<void> {
  const { rows: cases } = await pool.query<{
    id: string;
    status: string;
    transfer_id: string;
    transfer_status: string;
    status_reason: string | null;
  }>(
    `SELECT c.id::text AS id, c.status::text AS status, t.id::text AS transfer_id, t.status::text AS transfer_status, t.status_reason
       FROM compliance_cases c JOIN transfers t ON t.id = c.transfer_id`,
  );
  for (const row of cases) {
    by_status[row.status] = (by_status[row.status] ?? 0) + 1;
    const compliance_rejected =
      row.transfer_status === 'rejected' && row.status_reason === 'compliance_rejected';
    if (row.status === 'open') add('case_not_decided', row);
    else if (row.status === 'rejected' && !compliance_rejected) add('case_rejected_transfer_not', row);
    else if (row.status === 'approved' && (compliance_rejected || !FINAL_STATUSES.has(row.transfer_status)))
      add('case_approved_transfer_not', row);
  }
  const { rows: orphans } = await pool.query(
    `SELECT t.id::text AS id FROM transfers t
      WHERE t.status = 'rejected' AND t.status_reason = 'compliance_rejected'
        AND NOT EXISTS (SELECT 1 FROM compliance_cases c
                         WHERE c.status = 'rejected' AND (c.transfer_id = t.id OR c.batch_id = t.batch_id))`,
  );
  for (const row of orphans) add('compliance_rejected_without_case', row);
}

/** Violations grouped by kind: `{ kind: count }` for the summary, and a few examples of each for stderr. */
export function groupViolations(violations: Violation[]): {
  counts: Record<string, number>;
  examples: string[];
} {
  const counts: Record<string, number> = {};
  const examples: string[] = [];
  for (const violation of violations) {
    counts[violation.kind] = (counts[violation.kind] ?? 0) + 1;
    if (counts[violation.kind]! <= EXAMPLES_MAX) examples.push(`${violation.kind} ${violation.detail}`);
  }
  return { counts, examples };
}
