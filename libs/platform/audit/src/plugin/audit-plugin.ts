import { positionsArray, Prisma, rowsColumn, type Database, type StatementRow } from '@ledgerline/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface AuditPluginOptions {
  db: Database;
}

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ANONYMOUS = 'anonymous';

/** Column limits of `audit_records`; longer values are cut rather than failing the insert. */
const ACTION_LENGTH_MAX = 200;
const RESOURCE_LENGTH_MAX = 500;

export interface AuditEntry {
  actor: string;
  role: string;
  action: string;
  resource: string;
  request_id: string;
  outcome: number;
}

/** What is recorded for a request: who, what (method and route template), on which path, and the status. */
export function auditEntryOf(request: FastifyRequest, status_code: number): AuditEntry {
  const path = request.url.split('?', 1)[0] ?? request.url;
  return {
    actor: request.principal?.client_id ?? ANONYMOUS,
    role: request.principal?.role ?? ANONYMOUS,
    action: `${request.method} ${request.routeOptions.url ?? '(unmatched)'}`.slice(0, ACTION_LENGTH_MAX),
    resource: path.slice(0, RESOURCE_LENGTH_MAX),
    request_id: request.id,
    outcome: status_code,
  };
}

/**
 * The INSERT of one audit record, to embed in the transaction (or the statement) of the change it
 * describes. `when` is an SQL condition the record is written under (always, by default), e.g. "this
 * statement claimed the idempotency key" (see `runIdempotentStatements`).
 */
export function auditInsert(entry: AuditEntry, when: Prisma.Sql = Prisma.sql`true`): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO audit_records (actor, role, action, resource, request_id, outcome)
    SELECT ${entry.actor}, ${entry.role}, ${entry.action}, ${entry.resource}, ${entry.request_id}, ${entry.outcome}::integer
    WHERE ${when}`;
}

/**
 * The audit records of several requests in one data-modifying CTE of fixed text (see
 * `runIdempotentStatements` in the transactions library): only those of the positions `claimed` (a
 * subquery of positions) yields are written.
 */
export function claimedAuditInsert(
  entries: ReadonlyArray<StatementRow<AuditEntry>>,
  claimed: Prisma.Sql,
): Prisma.Sql {
  const column = (value: (entry: AuditEntry) => string) => rowsColumn(entries, value);
  return Prisma.sql`
    INSERT INTO audit_records (actor, role, action, resource, request_id, outcome)
    SELECT a.actor, a.role, a.action, a.resource, a.request_id, a.outcome
    FROM unnest(${positionsArray(entries)}::integer[], ${column((entry) => entry.actor)}::text[],
                ${column((entry) => entry.role)}::text[], ${column((entry) => entry.action)}::text[],
                ${column((entry) => entry.resource)}::text[], ${column((entry) => entry.request_id)}::text[],
                ${column((entry) => String(entry.outcome))}::integer[])
      AS a(request_position, actor, role, action, resource, request_id, outcome)
    WHERE a.request_position IN ${claimed}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request's audit record is written (or committed by its own transaction). */
    auditRecorded: boolean;
  }
}

/**
 * Tells the plugin that `request`'s audit record was committed with the change it describes (see
 * {@link auditInsert}), so the plugin writes none: one record per request, and never a committed
 * change without its record.
 */
export function markAuditedInTransaction(request: FastifyRequest): void {
  request.auditRecorded = true;
}

/**
 * Appends one row to `audit_records` (hash-chained once sealed) for every mutating request (POST, PUT, PATCH,
 * DELETE), whatever its outcome, except those the rate limiter turned away (429): recording a flood
 * would hand it a database write per request. The insert is awaited in `onSend`, so
 * the record exists before the response leaves; if it cannot be written the client gets a 500
 * instead of a success nobody can account for. The actor is `request.principal` (set by
 * `authPlugin`), or `anonymous`.
 */
async function audit(app: FastifyInstance, options: AuditPluginOptions): Promise<void> {
  app.decorateRequest('auditRecorded', false);
  app.addHook('onSend', async (request, reply, payload) => {
    // A failed insert sends a 500, which passes through onSend again: the flag records each request once.
    if (!MUTATING_METHODS.has(request.method) || reply.statusCode === 429 || request.auditRecorded)
      return payload;
    request.auditRecorded = true;
    const entry = auditEntryOf(request, reply.statusCode);
    try {
      // One statement and no lock: the record is chained later by the sealer (startAuditSealer).
      await options.db.$executeRaw(auditInsert(entry));
    } catch (error) {
      request.log.error({ err: error, audit: entry }, 'audit record could not be written');
      throw error;
    }
    return payload;
  });
}

export const auditPlugin = fp(audit, { name: '@ledgerline/audit', fastify: '5.x' });
