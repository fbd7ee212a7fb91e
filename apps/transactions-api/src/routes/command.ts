import assert from 'node:assert/strict';
import type { FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import { auditEntryOf, markAuditedInTransaction } from '@ledgerline/audit';
import { principalOf } from '@ledgerline/auth';
import { ProblemError, type ProblemCode, type Role } from '@ledgerline/http';
import type { CommandResult, MoneyCommand, TransferError, TransferFailure } from '@ledgerline/transfers';

/** Every business failure of the transfer service as a contract problem; a `Record`, so none is forgotten. */
const PROBLEM_OF: Record<TransferError, ProblemCode> = {
  validation_failed: 'validation_failed',
  not_found: 'not_found',
  forbidden: 'forbidden',
  invalid_state: 'invalid_state',
  idempotency_request_in_progress: 'idempotency_request_in_progress',
  idempotency_key_reused: 'idempotency_key_reused',
};

/** Roles that may move money here (customers only from their own accounts; the service checks that). */
export const MONEY_ROLES: readonly Role[] = ['customer', 'service', 'admin'];
/** Deposits and withdrawals touch the settlement account: a bank's backend only. */
export const SERVICE_ROLES: readonly Role[] = ['service', 'admin'];

/** Money-moving POSTs must name an idempotency key; its format is checked by the route's header schema. */
export const requireIdempotencyKey: preValidationHookHandler = async (request) => {
  const key = request.headers['idempotency-key'];
  if (key === undefined || (Array.isArray(key) && key.length === 0)) {
    throw new ProblemError(
      'idempotency_key_required',
      'Send an Idempotency-Key header (1 to 255 printable characters) with this request.',
    );
  }
  if (Array.isArray(key))
    throw new ProblemError('validation_failed', 'Send exactly one Idempotency-Key header.');
};

/** For bodiless commands (capture, void): no body is the same request as `{}`, for validation and the hash. */
export const emptyBodyAsObject: preValidationHookHandler = async (request) => {
  if (request.body === undefined || request.body === null) request.body = {};
};

/**
 * What the service needs to run a request exactly once: the caller, the key, and what the request hash
 * covers (method, path without query, body; an absent body hashes like `{}`). `render` serializes with
 * the route's response schema, so the bytes stored for replays are exactly the allow-listed ones.
 */
export function commandOf(request: FastifyRequest, reply: FastifyReply): MoneyCommand {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string')
    throw new ProblemError('idempotency_key_required', 'Send an Idempotency-Key header.');
  return {
    caller: principalOf(request),
    request_id: request.id,
    idempotency_key: key,
    request: {
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      body: request.body ?? {},
    },
    audit_entry: (status) => auditEntryOf(request, status),
    render: (status, body) => {
      const bytes = reply.serializeInput(body as Record<string, unknown>, String(status));
      assert.equal(typeof bytes, 'string', `no response serializer for status ${status}`);
      return bytes as string;
    },
  };
}

/** A service refusal as a problem; field paths gain the request part they point into (`/body/amount`). */
export function problemOf(failure: TransferFailure, part: '/body' | '/query'): ProblemError {
  const errors = failure.errors?.map((error) => ({ path: `${part}${error.path}`, message: error.message }));
  return new ProblemError(PROBLEM_OF[failure.error], failure.message, errors === undefined ? {} : { errors });
}

/**
 * Sends a command's response: the stored status, headers and body string exactly as first sent (a
 * string with a JSON content type passes through Fastify untouched). Replays say so in a header.
 */
export function sendCommandResult(reply: FastifyReply, result: CommandResult): FastifyReply {
  if (!result.ok) throw problemOf(result, '/body');
  const { response } = result;
  // Work done now (not a replay) committed its audit record with it (MoneyCommand.audit_entry).
  if (!result.replayed) markAuditedInTransaction(reply.request);
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.type('application/json; charset=utf-8').send(response.body);
}
