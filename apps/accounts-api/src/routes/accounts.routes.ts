import {
  ACCOUNT_OPEN_ERROR_FIELD,
  type Account,
  type AccountChangeError,
  type AccountOpenError,
  type AccountService,
  type Outcome,
} from '@ledgerline/accounts';
import {
  decodeCursor,
  encodeCursor,
  PAGE_LIMIT_DEFAULT,
  ProblemError,
  problemResponses,
  validationFailed,
  type ProblemCode,
} from '@ledgerline/http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound, requireReader, requireWriter, requireWriterOf, scopeOf } from './access';
import {
  AccountCursorSchema,
  AccountPageSchema,
  AccountParamsSchema,
  AccountSchema,
  accountBody,
  BalanceQuerySchema,
  BalanceResponseSchema,
  balanceBody,
  EntriesQuerySchema,
  EntryCursorSchema,
  EntryPageSchema,
  entryBody,
  ListAccountsQuerySchema,
  OpenAccountBodySchema,
} from './accounts.schemas';

export interface AccountRoutesOptions {
  accounts: AccountService;
}

/** Every open error is a 400 on the field it names (a `Record`, so the compiler checks it is complete). */
const OPEN_ERROR_PATH: Record<AccountOpenError, string> = {
  customer_not_found: `/body/${ACCOUNT_OPEN_ERROR_FIELD.customer_not_found}`,
  unknown_currency: `/body/${ACCOUNT_OPEN_ERROR_FIELD.unknown_currency}`,
  invalid_overdraft_limit: `/body/${ACCOUNT_OPEN_ERROR_FIELD.invalid_overdraft_limit}`,
  invalid_metadata: `/body/${ACCOUNT_OPEN_ERROR_FIELD.invalid_metadata}`,
};

const CHANGE_ERROR_PROBLEM: Record<AccountChangeError, ProblemCode> = {
  not_found: 'not_found',
  invalid_state: 'invalid_state',
  account_not_empty: 'account_not_empty',
};

type StatusChange = 'freeze' | 'unfreeze' | 'close';
const STATUS_CHANGES: ReadonlyArray<{ action: StatusChange; summary: string }> = [
  { action: 'freeze', summary: 'Freeze an account (active -> frozen): it can neither send nor receive' },
  { action: 'unfreeze', summary: 'Unfreeze an account (frozen -> active)' },
  { action: 'close', summary: 'Close an account (needs a zero balance and no pending holds)' },
];

/**
 * Accounts: open (service, admin), read and list (every role; a customer sees only its own), freeze,
 * unfreeze and close (service, admin), balance and statement entries.
 */
export const accountRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { accounts }) => {
  app.post(
    '/v1/accounts',
    {
      onRequest: requireWriter,
      schema: {
        tags: ['accounts'],
        summary: 'Open an account for a customer',
        body: OpenAccountBodySchema,
        response: { 201: AccountSchema, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const result = await accounts.open(request.body);
      if (!result.ok)
        throw validationFailed([{ path: OPEN_ERROR_PATH[result.error], message: result.message }]);
      reply.code(201).header('location', `/v1/accounts/${result.value.id}`);
      return accountBody(result.value);
    },
  );

  app.get(
    '/v1/accounts',
    {
      onRequest: requireReader,
      schema: {
        tags: ['accounts'],
        summary: 'List accounts, oldest first',
        querystring: ListAccountsQuerySchema,
        response: { 200: AccountPageSchema, ...problemResponses(401) },
      },
    },
    async (request) => {
      const { customer_id, status, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor, AccountCursorSchema);
      const page = await accounts.list({
        scope: scopeOf(request),
        customer_id,
        status,
        limit: request.query.limit ?? PAGE_LIMIT_DEFAULT,
        after_id: after?.id,
      });
      return {
        data: page.accounts.map(accountBody),
        next_cursor: page.next_after_id === null ? null : encodeCursor({ id: page.next_after_id }),
      };
    },
  );

  app.get(
    '/v1/accounts/:id',
    {
      onRequest: requireReader,
      schema: {
        tags: ['accounts'],
        summary: 'Read an account',
        params: AccountParamsSchema,
        response: { 200: AccountSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const account = await accounts.get(request.params.id, scopeOf(request));
      if (account === null) throw notFound('account');
      return accountBody(account);
    },
  );

  for (const { action, summary } of STATUS_CHANGES) {
    app.post(
      `/v1/accounts/:id/${action}`,
      {
        onRequest: requireReader,
        schema: {
          tags: ['accounts'],
          summary,
          params: AccountParamsSchema,
          response: { 200: AccountSchema, ...problemResponses(401, 403, 404, 409) },
        },
      },
      async (request) => {
        await requireWriterOf(request, 'account', (scope) => accounts.get(request.params.id, scope));
        return accountBody(unwrapChange(await accounts[action](request.params.id, scopeOf(request))));
      },
    );
  }

  app.get(
    '/v1/accounts/:id/balance',
    {
      onRequest: requireReader,
      schema: {
        tags: ['accounts'],
        summary: 'Read the balance, now or as of a past instant',
        params: AccountParamsSchema,
        querystring: BalanceQuerySchema,
        response: { 200: BalanceResponseSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const { as_of } = request.query;
      const snapshot = await accounts.balance(request.params.id, scopeOf(request), {
        as_of: as_of === undefined ? undefined : new Date(as_of),
      });
      if (snapshot === null) throw notFound('account');
      return balanceBody(snapshot);
    },
  );

  app.get(
    '/v1/accounts/:id/entries',
    {
      onRequest: requireReader,
      schema: {
        tags: ['accounts'],
        summary: 'Statement lines, newest first',
        params: AccountParamsSchema,
        querystring: EntriesQuerySchema,
        response: { 200: EntryPageSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const { from, to, cursor } = request.query;
      const before = cursor === undefined ? undefined : decodeCursor(cursor, EntryCursorSchema);
      const result = await accounts.listEntries(request.params.id, scopeOf(request), {
        from: from === undefined ? undefined : new Date(from),
        to: to === undefined ? undefined : new Date(to),
        limit: request.query.limit ?? PAGE_LIMIT_DEFAULT,
        before_sequence: before === undefined ? undefined : BigInt(before.sequence),
      });
      if (!result.ok) throw notFound('account');
      const { entries, next_before_sequence } = result.value;
      return {
        data: entries.map(entryBody),
        next_cursor:
          next_before_sequence === null ? null : encodeCursor({ sequence: next_before_sequence.toString() }),
      };
    },
  );
};

function unwrapChange(result: Outcome<Account, AccountChangeError>): Account {
  if (result.ok) return result.value;
  throw new ProblemError(CHANGE_ERROR_PROBLEM[result.error], result.message);
}
