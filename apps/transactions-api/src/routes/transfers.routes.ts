import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireAuthenticated, requireRole } from '@ledgerline/auth';
import { problemResponses } from '@ledgerline/http';
import { TRANSFER_LIMITS, type TransferService } from '@ledgerline/transfers';
import {
  commandOf,
  emptyBodyAsObject,
  MONEY_ROLES,
  problemOf,
  requireIdempotencyKey,
  sendCommandResult,
  SERVICE_ROLES,
} from './command';
import {
  BatchSchema,
  CaptureBodySchema,
  CreateBatchBodySchema,
  CreateTransferBodySchema,
  GetTransferHeadersSchema,
  IdempotencyHeadersSchema,
  ListTransfersQuerySchema,
  ReverseBodySchema,
  SettlementTransferBodySchema,
  TransferPageSchema,
  TransferParamsSchema,
  TransferSchema,
  VoidBodySchema,
} from './transfers.schemas';

export interface TransferRoutesOptions {
  transfers: TransferService;
  /** Aborted when the app starts closing, so long `Prefer: wait` requests answer at once instead of holding shutdown. */
  shutdown_signal: AbortSignal;
}

/** The problems a money-moving POST decides itself (400/413/415/429/500 are added by the http layer). */
const COMMAND_PROBLEMS = problemResponses(401, 403, 404, 409, 422);

/**
 * Transfers, deposits, withdrawals, batches, holds and reversals. Every POST is idempotent by
 * `Idempotency-Key` (the service stores the exact response with the work, in one transaction) and
 * answers 202: the transfer is accepted, and screening and posting follow asynchronously.
 */
export const transferRoutes: FastifyPluginAsyncTypebox<TransferRoutesOptions> = async (
  app,
  { transfers, shutdown_signal },
) => {
  // Guards run at preValidation: after authentication and rate limiting, before the body is looked at, so a
  // read-only role gets its 403 and a keyless request its 400 whatever the body holds.
  const moneyGuards = [requireRole(...MONEY_ROLES), requireIdempotencyKey];
  const serviceGuards = [requireRole(...SERVICE_ROLES), requireIdempotencyKey];
  const bodilessGuards = [...moneyGuards, emptyBodyAsObject];

  app.post(
    '/v1/transfers',
    {
      preValidation: moneyGuards,
      schema: {
        tags: ['transfers'],
        summary: 'Move money between two accounts (customers: only from their own)',
        headers: IdempotencyHeadersSchema,
        body: CreateTransferBodySchema,
        response: { 202: TransferSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(reply, await transfers.createTransfer(commandOf(request, reply), request.body)),
  );

  app.post(
    '/v1/deposits',
    {
      preValidation: serviceGuards,
      schema: {
        tags: ['transfers'],
        summary: "Money in: from the currency's settlement account to an account",
        headers: IdempotencyHeadersSchema,
        body: SettlementTransferBodySchema,
        response: { 202: TransferSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(reply, await transfers.createDeposit(commandOf(request, reply), request.body)),
  );

  app.post(
    '/v1/withdrawals',
    {
      preValidation: serviceGuards,
      schema: {
        tags: ['transfers'],
        summary: "Money out: from an account to the currency's settlement account",
        headers: IdempotencyHeadersSchema,
        body: SettlementTransferBodySchema,
        response: { 202: TransferSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(reply, await transfers.createWithdrawal(commandOf(request, reply), request.body)),
  );

  app.post(
    '/v1/transfers/batch',
    {
      preValidation: moneyGuards,
      schema: {
        tags: ['transfers'],
        summary: `Up to ${TRANSFER_LIMITS.batch_size_max} transfers at once; atomic batches post all or none`,
        headers: IdempotencyHeadersSchema,
        body: CreateBatchBodySchema,
        response: { 202: BatchSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(reply, await transfers.createBatch(commandOf(request, reply), request.body)),
  );

  app.post(
    '/v1/transfers/:id/capture',
    {
      preValidation: bodilessGuards,
      schema: {
        tags: ['transfers'],
        summary: 'Capture a pending hold, all or part of it (the rest is released)',
        headers: IdempotencyHeadersSchema,
        params: TransferParamsSchema,
        body: CaptureBodySchema,
        response: { 202: TransferSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(
        reply,
        await transfers.captureHold(commandOf(request, reply), request.params.id, request.body),
      ),
  );

  app.post(
    '/v1/transfers/:id/void',
    {
      preValidation: bodilessGuards,
      schema: {
        tags: ['transfers'],
        summary: 'Void a pending hold: the reserved funds are released',
        headers: IdempotencyHeadersSchema,
        params: TransferParamsSchema,
        body: VoidBodySchema,
        response: { 202: TransferSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(reply, await transfers.voidHold(commandOf(request, reply), request.params.id)),
  );

  app.post(
    '/v1/transfers/:id/reverse',
    {
      preValidation: moneyGuards,
      schema: {
        tags: ['transfers'],
        summary: 'Reverse a posted transfer (once): a new transfer moving the money back',
        headers: IdempotencyHeadersSchema,
        params: TransferParamsSchema,
        body: ReverseBodySchema,
        response: { 202: TransferSchema, ...COMMAND_PROBLEMS },
      },
    },
    async (request, reply) =>
      sendCommandResult(
        reply,
        await transfers.reverseTransfer(commandOf(request, reply), request.params.id, request.body),
      ),
  );

  app.get(
    '/v1/transfers/:id',
    {
      onRequest: requireAuthenticated,
      schema: {
        tags: ['transfers'],
        summary:
          'A transfer; with `Prefer: wait=N` (N <= 30) answers once it is final or N seconds have passed',
        headers: GetTransferHeadersSchema,
        params: TransferParamsSchema,
        response: { 200: TransferSchema, ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // The answer depends on Prefer, so caches must key on it.
      reply.header('vary', 'Prefer');
      const wait_seconds = preferredWaitSeconds(request.headers.prefer);
      if (wait_seconds === undefined) {
        const found = await transfers.getTransfer(principal, request.params.id);
        if (!found.ok) throw problemOf(found, '/body');
        return found.value;
      }
      // Stop waiting when the client goes away or the app shuts down; the answer is then the current state.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const found = await transfers.waitForFinal(principal, request.params.id, {
        wait_seconds,
        signal: AbortSignal.any([gone.signal, shutdown_signal]),
      });
      if (!found.ok) throw problemOf(found, '/body');
      reply.header('preference-applied', `wait=${wait_seconds}`);
      return found.value;
    },
  );

  app.get(
    '/v1/transfers',
    {
      onRequest: requireAuthenticated,
      schema: {
        tags: ['transfers'],
        summary: 'Transfers, newest first, by account and status (keyset pages)',
        querystring: ListTransfersQuerySchema,
        response: { 200: TransferPageSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const page = await transfers.listTransfers(principalOf(request), request.query);
      if (!page.ok) throw problemOf(page, '/query');
      return page.value;
    },
  );
};

/**
 * The `wait` preference of an RFC 7240 `Prefer` header, capped at 30 seconds (a server may honour a
 * preference in part; `Preference-Applied` then says what it did). Other preferences are ignored.
 */
export function preferredWaitSeconds(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  for (const preference of header.split(',')) {
    const [token] = preference.split(';');
    const match = /^\s*wait\s*=\s*"?([0-9]{1,9})"?\s*$/i.exec(token ?? '');
    if (match?.[1] !== undefined) return Math.min(Number(match[1]), TRANSFER_LIMITS.wait_seconds_max);
  }
  return undefined;
}
