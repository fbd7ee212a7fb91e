import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireRole } from '@ledgerline/auth';
import { problemResponses, ProblemError, validationFailed, type ProblemCode } from '@ledgerline/http';
import type { ReportError, ReportService } from '@ledgerline/reports';
import {
  CreateReportBodySchema,
  ReportCsvResponse,
  ReportParamsSchema,
  ReportSchema,
  reportBody,
} from './reports.schemas';

export interface ReportRoutesOptions {
  reports: ReportService;
}

/** Every error of the report service as a contract problem; a `Record`, so none is forgotten. */
const PROBLEM_OF: Record<ReportError, ProblemCode> = {
  validation_failed: 'validation_failed',
  not_found: 'not_found',
  invalid_state: 'invalid_state',
};

/** Reports are for compliance officers and admins; every other role is refused whatever the report. */
const requireComplianceOfficer = requireRole('compliance', 'admin');

/**
 * `POST /v1/compliance/reports` (202, the report queued with its job), `GET /v1/compliance/reports/:id`
 * and `GET /v1/compliance/reports/:id/download` (the CSV of a completed report).
 */
export const reportRoutes: FastifyPluginAsyncTypebox<ReportRoutesOptions> = async (app, { reports }) => {
  app.post(
    '/v1/compliance/reports',
    {
      onRequest: requireComplianceOfficer,
      schema: {
        tags: ['reports'],
        summary: 'Ask for a report over a period [from, to); it runs in the background',
        body: CreateReportBodySchema,
        response: { 202: ReportSchema, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const result = await reports.request({
        ...request.body,
        requested_by: principalOf(request).client_id,
        request_id: request.id,
      });
      if (!result.ok) {
        throw validationFailed(
          (result.errors ?? []).map((error) => ({ path: `/body${error.path}`, message: error.message })),
          result.message,
        );
      }
      reply.code(202).header('location', `/v1/compliance/reports/${result.value.id}`);
      return reportBody(result.value);
    },
  );

  app.get(
    '/v1/compliance/reports/:id',
    {
      onRequest: requireComplianceOfficer,
      schema: {
        tags: ['reports'],
        summary: 'A report: its status, progress and, once completed, its summary',
        params: ReportParamsSchema,
        response: { 200: ReportSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const report = await reports.get(request.params.id);
      if (report === null) throw new ProblemError(PROBLEM_OF.not_found, 'No such report.');
      return reportBody(report);
    },
  );

  app.get(
    '/v1/compliance/reports/:id/download',
    {
      onRequest: requireComplianceOfficer,
      schema: {
        tags: ['reports'],
        summary: 'The CSV of a completed report (409 while it is queued, running or failed)',
        params: ReportParamsSchema,
        response: { 200: ReportCsvResponse, ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const download = await reports.download(request.params.id);
      if (!download.ok) throw new ProblemError(PROBLEM_OF[download.error], download.message);
      // Reports hold customers' ids and money movements: no shared cache may keep a copy.
      return reply
        .header('content-disposition', `attachment; filename="${download.value.filename}"`)
        .header('cache-control', 'private, no-store')
        .type('text/csv; charset=utf-8')
        .send(download.value.content);
    },
  );
};
