import assert from 'node:assert/strict';
import { Prisma, type Database } from '@ledgerline/db';
import { jobs, outboxInsert } from '@ledgerline/queue';
import { validate as isUuid } from 'uuid';
import {
  CASE_LIMITS,
  type CaseDecisionError,
  type CaseHit,
  type CaseStatus,
  type ComplianceCase,
  type DecideCaseInput,
} from './case.types';

export type DecideCaseResult =
  { ok: true; value: ComplianceCase } | { ok: false; error: CaseDecisionError; message: string };

export interface CaseQuery {
  status?: CaseStatus | undefined;
  limit: number;
  /** The last id of the previous page. */
  after_id?: string | undefined;
}

export interface CasePage {
  cases: ComplianceCase[];
  /** Pass as `after_id` for the next page; null on the last page. */
  next_after_id: string | null;
}

export interface CaseService {
  /** Cases oldest first (officers work the open ones in arrival order), one keyset page. */
  list(query: CaseQuery): Promise<CasePage>;
  /**
   * Decides an open case: approved moves its transfer (or every transfer of its batch) `held -> approved`
   * and queues the ledger's advance; rejected moves it `held -> rejected` (`compliance_rejected`). All in
   * one transaction; a case already decided is refused and nothing changes.
   */
  decide(input: DecideCaseInput): Promise<DecideCaseResult>;
}

interface CaseRow {
  id: string;
  transfer_id: string;
  batch_id: string | null;
  status: CaseStatus;
  hits: CaseHit[];
  created_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  note: string | null;
}

const CASE_COLUMNS = Prisma.sql`
  id::text AS id, transfer_id::text AS transfer_id, batch_id::text AS batch_id, status::text AS status, hits,
  created_at, decided_at, decided_by, note`;

export function createCaseService({ db }: { db: Database }): CaseService {
  return {
    async list(query) {
      assert.ok(
        Number.isInteger(query.limit) && query.limit >= 1 && query.limit <= CASE_LIMITS.list_limit_max,
      );
      assert.ok(query.after_id === undefined || isUuid(query.after_id), 'list: after_id must be a UUID');
      // Served by the (status, id) index or the primary key: a seek, then `limit` rows, on any page.
      const rows = await db.$queryRaw<CaseRow[]>`
        SELECT ${CASE_COLUMNS} FROM compliance_cases
        WHERE ${query.status === undefined ? Prisma.sql`true` : Prisma.sql`status = ${query.status}::compliance_case_status`}
          AND ${query.after_id === undefined ? Prisma.sql`true` : Prisma.sql`id > ${query.after_id}::uuid`}
        ORDER BY id
        LIMIT ${query.limit + 1}`;
      const page = rows.slice(0, query.limit);
      return {
        cases: page.map(toCase),
        next_after_id: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
      };
    },

    async decide(input) {
      assert.ok(input.note.length >= 1 && input.note.length <= CASE_LIMITS.note_length_max);
      if (!isUuid(input.case_id)) return notFound(input.case_id);
      const case_id = input.case_id.toLowerCase();
      const [found] = await db.$queryRaw<
        CaseRow[]
      >`SELECT ${CASE_COLUMNS} FROM compliance_cases WHERE id = ${case_id}::uuid`;
      if (found === undefined) return notFound(case_id);
      if (found.status !== 'open') return alreadyDecided(found);

      const approve = input.decision === 'approve';
      const ledgerJob =
        found.batch_id === null
          ? jobs.advanceTransfer(found.transfer_id, input.request_id)
          : jobs.advanceBatch(found.batch_id, input.request_id);
      // One statement decides the case, moves its held transfers and (on approval) queues the ledger job,
      // each part conditional on the case still being open: of two officers deciding at once, the
      // second's statement finds no open case and changes nothing.
      const decided = await db.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<Array<CaseRow & { moved: bigint }>>`
          WITH decided AS (
            UPDATE compliance_cases
            SET status = ${approve ? 'approved' : 'rejected'}::compliance_case_status, decided_at = now(),
                decided_by = ${input.decided_by}, note = ${input.note}
            WHERE id = ${case_id}::uuid AND status = 'open'
            RETURNING *),
          moved AS (
            UPDATE transfers AS t
            SET status = ${approve ? 'approved' : 'rejected'}::transfer_status,
                status_reason = ${approve ? null : 'compliance_rejected'}, updated_at = now()
            FROM decided AS d
            WHERE t.status = 'held'
              AND (${found.batch_id === null ? Prisma.sql`t.id = d.transfer_id` : Prisma.sql`t.batch_id = d.batch_id`})
            RETURNING t.id),
          queued AS (
            ${approve ? outboxInsert([ledgerJob], Prisma.sql`EXISTS (SELECT 1 FROM decided)`) : Prisma.sql`SELECT 1`})
          SELECT ${CASE_COLUMNS}, (SELECT count(*) FROM moved) AS moved FROM decided`;
        if (row === undefined) return undefined;
        // A case is opened with its hold and closed with it: an open case whose transfer is not held is
        // a broken invariant, and the decision must not be recorded on top of it.
        assert.ok(row.moved > 0n, `case ${case_id} is open but its transfer is not held`);
        return row;
      });
      if (decided === undefined) {
        const [now] = await db.$queryRaw<
          CaseRow[]
        >`SELECT ${CASE_COLUMNS} FROM compliance_cases WHERE id = ${case_id}::uuid`;
        assert.ok(now !== undefined);
        return alreadyDecided(now);
      }
      return { ok: true, value: toCase(decided) };
    },
  };
}

function notFound(case_id: string): DecideCaseResult {
  return { ok: false, error: 'not_found', message: `Compliance case ${case_id} not found.` };
}

function alreadyDecided(row: CaseRow): DecideCaseResult {
  return {
    ok: false,
    error: 'already_decided',
    message: `Compliance case ${row.id} is already ${row.status}.`,
  };
}

function toCase(row: CaseRow): ComplianceCase {
  return {
    id: row.id,
    transfer_id: row.transfer_id,
    batch_id: row.batch_id,
    status: row.status,
    hits: row.hits,
    created_at: row.created_at,
    decided_at: row.decided_at,
    decided_by: row.decided_by,
    note: row.note,
  };
}
