import assert from 'node:assert/strict';
import { openCasesInsert, type NewCase } from '@ledgerline/cases';
import { newRowId, Prisma, sqlArray, type Database, type TransferStatus } from '@ledgerline/db';
import { createAmlRules } from '../rules/aml-rules';
import { DEFAULT_COMPLIANCE_THRESHOLDS } from '../thresholds/compliance-thresholds';
import {
  combineDecisions,
  type ScreenedTransfer,
  type ScreeningDecision,
  type ScreeningHit,
  type ScreeningRules,
} from './screening.rules';

/**
 * Where a transfer (or an atomic batch) stands after screening:
 * - `approved`: ready for the ledger (also when an earlier delivery approved it: the ledger job is re-added);
 * - `held`: waiting for a compliance decision;
 * - `rejected`: final;
 * - `past_screening`: the ledger already took it further (pending, posted, voided), nothing to do;
 * - `not_found`: no such transfer or batch; a job naming it can never succeed;
 * - `in_progress`: another delivery is deciding it at this very moment; retry shortly to read its decision.
 */
export type ScreenOutcome = 'approved' | 'held' | 'rejected' | 'past_screening' | 'not_found' | 'in_progress';

export interface ScreenResult {
  outcome: ScreenOutcome;
  /** True when this call made the decision; false on a redelivery that found it made. */
  decided_now: boolean;
  /** The rules that matched, when this call held or rejected. */
  hits: ScreeningHit[];
}

export interface ScreeningService {
  /** Screens one transfer: `received -> screening -> approved | held | rejected`. Safe to repeat. */
  screen(transfer_id: string): Promise<ScreenResult>;
  /**
   * Screens many transfers as `screen` does, each on its own (not as one unit, unlike a batch), with
   * one statement to claim them all and one to record every decision: the compliance worker's
   * micro-batcher gathers concurrent jobs' transfers here. One result per id, in order.
   */
  screenMany(transfer_ids: readonly string[]): Promise<ScreenResult[]>;
  /** Screens every transfer of an atomic batch together, so they are approved (or not) as one. Safe to repeat. */
  screenBatch(batch_id: string): Promise<ScreenResult>;
}

export interface ScreeningServiceOptions {
  db: Database;
  /**
   * Default: the contract's AML rules with the default thresholds, reading customers' stored sanctions
   * status (the compliance worker passes its configured rules and the sanctions screener).
   */
  rules?: ScreeningRules;
}

interface TransferRow extends ScreenedTransfer {
  status: TransferStatus;
}

/** Atomic batches hold at most 1000 transfers (the contract); a little room guards the query bound. */
const BATCH_TRANSFERS_MAX = 1_000;

/**
 * Builds the screening service. Every status change is a conditional update (`WHERE status = ...`), so a
 * redelivered or concurrently running job can repeat any step: the first writer wins, the others read
 * the outcome. A crash between `screening` and the decision leaves the transfer in `screening`, and the
 * next delivery evaluates the rules again and decides.
 */
export function createScreeningService(options: ScreeningServiceOptions): ScreeningService {
  const { db } = options;
  const rules = options.rules ?? createAmlRules({ db, thresholds: DEFAULT_COMPLIANCE_THRESHOLDS });

  async function screenMany(transfer_ids: readonly string[]): Promise<ScreenResult[]> {
    // In id order, so that two batches sharing a transfer (a redelivered job) lock rows in the same order.
    const ids = [...new Set(transfer_ids.map((id) => id.toLowerCase()))].sort();
    const claimed = new Map((await claimTransfers(db, ids)).map((row) => [row.id, row]));
    const results = new Map<string, ScreenResult>();
    const screening: ScreenedTransfer[] = [];
    for (const id of ids) {
      const transfer = claimed.get(id);
      if (transfer === undefined) results.set(id, { outcome: 'not_found', decided_now: false, hits: [] });
      else if (transfer.status !== 'screening')
        results.set(id, { outcome: outcomeWhileScreening(transfer.status), decided_now: false, hits: [] });
      else screening.push(withoutStatus(transfer));
    }
    const decisions = await evaluate(rules, screening);
    const decided = await recordDecisions(db, decisions);
    const undecided = [...decisions.keys()].filter((id) => !decided.has(id));
    // Another delivery decided these first; report what it decided.
    const now = new Map<string, TransferRow>();
    if (undecided.length > 0)
      for (const row of await selectTransfers(db, { transfer_ids: undecided })) now.set(row.id, row);
    for (const [id, decision] of decisions) {
      if (decided.has(id)) {
        results.set(id, {
          outcome: outcomeOf([statusOf(decision)]),
          decided_now: true,
          hits: hitsOf(decision),
        });
      } else {
        const row = now.get(id);
        results.set(id, {
          outcome: row === undefined ? 'not_found' : outcomeWhileScreening(row.status),
          decided_now: false,
          hits: [],
        });
      }
    }
    return transfer_ids.map((id) => {
      const result = results.get(id.toLowerCase());
      assert.ok(result !== undefined);
      return result;
    });
  }

  return {
    async screen(transfer_id) {
      const [result] = await screenMany([transfer_id]);
      assert.ok(result !== undefined);
      return result;
    },

    screenMany,

    async screenBatch(batch_id) {
      await db.$executeRaw`
        UPDATE transfers SET status = 'screening', updated_at = now()
        WHERE batch_id = ${batch_id}::uuid AND status = 'received'`;
      const transfers = await selectTransfers(db, { batch_id });
      if (transfers.length === 0) return { outcome: 'not_found', decided_now: false, hits: [] };
      const screening = transfers.filter((transfer) => transfer.status === 'screening');
      if (screening.length === 0)
        return { outcome: outcomeOf(transfers.map((t) => t.status)), decided_now: false, hits: [] };

      const decision = combineDecisions([...(await evaluate(rules, screening.map(withoutStatus))).values()]);
      // A held batch gets one case (on its first transfer), opened by the statement that holds it.
      const first = screening[0];
      assert.ok(first !== undefined);
      const cases: NewCase[] =
        decision.decision === 'hold'
          ? [{ id: newRowId(), transfer_id: first.id, batch_id, hits: decision.hits }]
          : [];
      const [{ decided } = { decided: 0n }] = await db.$queryRaw<Array<{ decided: bigint }>>`
        WITH moved AS (
          UPDATE transfers SET status = ${statusOf(decision)}::transfer_status, status_reason = ${reasonOf(decision)},
            updated_at = now()
          WHERE batch_id = ${batch_id}::uuid AND status = 'screening'
          RETURNING id, status),
        opened AS (${casesFor(cases, Prisma.sql`SELECT id FROM moved WHERE status = 'held'`)})
        SELECT count(*) AS decided FROM moved`;
      const after = await selectTransfers(db, { batch_id });
      return {
        outcome: outcomeOf(after.map((t) => t.status)),
        decided_now: decided > 0n,
        hits: decided > 0n ? hitsOf(decision) : [],
      };
    },
  };
}

/** What the rules see of a transfer (`t`), as text where the driver would otherwise parse. */
const SCREENED_COLUMNS = Prisma.sql`
  t.id::text AS id, t.kind::text AS kind, t.source_account_id::text AS source_account_id,
  t.destination_account_id::text AS destination_account_id, t.amount::text AS amount, t.currency,
  t.batch_id::text AS batch_id, t.client_id, t.created_at`;

/**
 * Moves `received` transfers to `screening` and reads them, in one statement. The read sees the
 * statement's snapshot (the status before the update), so the status is taken from the update where it
 * claimed the row; a transfer already past `received` is read as it is (one left in `screening` by a
 * crashed delivery is screened again).
 */
async function claimTransfers(db: Database, transfer_ids: readonly string[]): Promise<TransferRow[]> {
  const id_list = sqlArray(transfer_ids);
  return db.$queryRaw<TransferRow[]>`
    WITH claimed AS (
      UPDATE transfers SET status = 'screening', updated_at = now()
      WHERE id = ANY(${id_list}::uuid[]) AND status = 'received'
      RETURNING id)
    SELECT ${SCREENED_COLUMNS},
           CASE WHEN t.id IN (SELECT id FROM claimed) THEN 'screening' ELSE t.status::text END AS status
    FROM transfers t
    WHERE t.id = ANY(${id_list}::uuid[])`;
}

/** One decision per transfer, by id, from one call of the rules. */
async function evaluate(
  rules: ScreeningRules,
  transfers: readonly ScreenedTransfer[],
): Promise<Map<string, ScreeningDecision>> {
  if (transfers.length === 0) return new Map();
  const decisions = await rules.evaluate(transfers);
  assert.equal(decisions.length, transfers.length, 'the rules answer one decision per transfer');
  return new Map(transfers.map((transfer, index) => [transfer.id, decisions[index] as ScreeningDecision]));
}

/**
 * Records every decision in one statement, each only if its transfer is still in `screening` (the
 * first writer wins), and opens the case of every transfer it held in the same statement; returns the
 * ids this call decided.
 */
async function recordDecisions(
  db: Database,
  decisions: ReadonlyMap<string, ScreeningDecision>,
): Promise<Set<string>> {
  if (decisions.size === 0) return new Set();
  const entries = [...decisions];
  const id_list = sqlArray(entries.map(([id]) => id));
  const cases: NewCase[] = entries.flatMap(([transfer_id, decision]) =>
    decision.decision === 'hold'
      ? [{ id: newRowId(), transfer_id, batch_id: null, hits: decision.hits }]
      : [],
  );
  // `t.id = ANY(id_list)` lets the planner reach the transfers through the primary key: joined against the
  // decisions alone, the update was planned as a scan of the whole table for `status = 'screening'`
  // (which statistics rightly call rare) at 20,000 transfers, and only used the key from about 200,000.
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    WITH decided AS (
      UPDATE transfers AS t SET status = d.status::transfer_status, status_reason = d.reason, updated_at = now()
      FROM unnest(${id_list}::uuid[], ${sqlArray(entries.map(([, decision]) => statusOf(decision)))}::text[],
                  ${sqlArray(entries.map(([, decision]) => reasonOf(decision)))}::text[]) AS d(id, status, reason)
      WHERE t.id = ANY(${id_list}::uuid[]) AND t.id = d.id AND t.status = 'screening'
      RETURNING t.id, t.status),
    opened AS (${casesFor(cases, Prisma.sql`SELECT id FROM decided WHERE status = 'held'`)})
    SELECT id::text AS id FROM decided`;
  return new Set(rows.map((row) => row.id));
}

/** The case-opening statement for a CTE; a no-op query when nothing was held. */
function casesFor(cases: readonly NewCase[], held_transfer_ids: Prisma.Sql): Prisma.Sql {
  return cases.length === 0 ? Prisma.sql`SELECT 1` : openCasesInsert(cases, held_transfer_ids);
}

async function selectTransfers(
  db: Database,
  by: { transfer_ids: readonly string[] } | { batch_id: string },
): Promise<TransferRow[]> {
  const rows = await db.$queryRaw<TransferRow[]>`
    SELECT ${SCREENED_COLUMNS}, t.status::text AS status
    FROM transfers t
    WHERE ${'transfer_ids' in by ? Prisma.sql`t.id = ANY(${sqlArray(by.transfer_ids)}::uuid[])` : Prisma.sql`t.batch_id = ${by.batch_id}::uuid`}
    ORDER BY t.id
    LIMIT ${BATCH_TRANSFERS_MAX + 1}`;
  return rows;
}

function withoutStatus(row: TransferRow): ScreenedTransfer {
  const { status: _status, ...transfer } = row;
  return transfer;
}

function statusOf(decision: ScreeningDecision): TransferStatus {
  return decision.decision === 'approve' ? 'approved' : decision.decision === 'hold' ? 'held' : 'rejected';
}

function reasonOf(decision: ScreeningDecision): string | null {
  return decision.decision === 'reject' ? decision.reason : null;
}

function hitsOf(decision: ScreeningDecision): ScreeningHit[] {
  return decision.decision === 'approve' ? [] : decision.hits;
}

/**
 * The outcome of one transfer of `screenMany`: one that another delivery is deciding right now is
 * `in_progress` for its own job to retry, without failing the transfers screened beside it.
 */
function outcomeWhileScreening(status: TransferStatus): ScreenOutcome {
  return status === 'screening' || status === 'received' ? 'in_progress' : outcomeOf([status]);
}

/** The outcome of a transfer, or of a batch from its transfers' statuses (they move together). */
function outcomeOf(statuses: readonly TransferStatus[]): ScreenOutcome {
  // Only a delivery that is deciding right now leaves these behind; retrying finds its decision.
  if (statuses.includes('screening') || statuses.includes('received'))
    throw new Error('screening is in progress elsewhere');
  if (statuses.includes('held')) return 'held';
  if (statuses.every((status) => status === 'approved')) return 'approved';
  if (statuses.every((status) => status === 'rejected')) return 'rejected';
  return 'past_screening';
}
