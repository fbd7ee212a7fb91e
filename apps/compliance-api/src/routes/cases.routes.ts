import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '@ledgerline/auth';
import type { CaseDecisionError, CaseService } from '@ledgerline/cases';
import {
  decodeCursor,
  encodeCursor,
  PAGE_LIMIT_DEFAULT,
  ProblemError,
  problemResponses,
  type ProblemCode,
} from '@ledgerline/http';
import { requireComplianceOfficer } from './access';
import {
  CaseCursorSchema,
  CasePageSchema,
  CaseParamsSchema,
  CaseSchema,
  DecisionBodySchema,
  ListCasesQuerySchema,
  caseBody,
} from './cases.schemas';

export interface CaseRoutesOptions {
  cases: CaseService;
}

/** Every refused decision's problem code (a `Record`, so the compiler checks it is complete). */
const DECISION_PROBLEMS: Record<CaseDecisionError, ProblemCode> = {
  not_found: 'not_found',
  already_decided: 'invalid_state',
};

/** `GET /v1/compliance/cases` and `POST /v1/compliance/cases/:id/decision` (compliance, admin). */
export const caseRoutes: FastifyPluginAsyncTypebox<CaseRoutesOptions> = async (app, { cases }) => {
  app.get(
    '/v1/compliance/cases',
    {
      onRequest: requireComplianceOfficer,
      schema: {
        tags: ['compliance'],
        summary: 'Compliance cases of held transfers, oldest first (filter by status: open is the work list)',
        querystring: ListCasesQuerySchema,
        response: { 200: CasePageSchema, ...problemResponses(401, 403) },
      },
    },
    async (request) => {
      const { status, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor, CaseCursorSchema);
      const page = await cases.list({
        status,
        limit: request.query.limit ?? PAGE_LIMIT_DEFAULT,
        after_id: after?.id,
      });
      return {
        data: page.cases.map(caseBody),
        next_cursor: page.next_after_id === null ? null : encodeCursor({ id: page.next_after_id }),
      };
    },
  );

  app.post(
    '/v1/compliance/cases/:id/decision',
    {
      onRequest: requireComplianceOfficer,
      schema: {
        tags: ['compliance'],
        summary: 'Approve (the transfer goes on to the ledger) or reject (it is rejected) an open case',
        params: CaseParamsSchema,
        body: DecisionBodySchema,
        response: { 200: CaseSchema, ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const result = await cases.decide({
        case_id: request.params.id,
        decision: request.body.decision,
        note: request.body.note,
        decided_by: principalOf(request).client_id,
        request_id: request.id,
      });
      if (!result.ok) throw new ProblemError(DECISION_PROBLEMS[result.error], result.message);
      return caseBody(result.value);
    },
  );
};
