import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireRole } from '@ledgerline/auth';
import { SANCTIONS_LIST_BODY_LIMIT_BYTES } from '@ledgerline/config';
import { acceptMediaType, validationFailed, type FieldError } from '@ledgerline/http';
import type { SanctionsListLoadError, SanctionsListService, SdnCsvError } from '@ledgerline/sanctions';
import { SanctionsListSchema, SanctionsListUploadSchema } from './sanctions-lists.schemas';

export interface SanctionsListRoutesOptions {
  lists: SanctionsListService;
}

/** Every load error is a 400 whose `errors` name the lines (a `Record`, so the compiler checks it is complete). */
const LOAD_ERROR_DETAIL: Record<SanctionsListLoadError, string> = {
  invalid_list: 'The file is not an OFAC SDN.CSV this service accepts; nothing was loaded.',
};

/** `/body/line/12` for a line, `/body` for the file as a whole. */
function fieldErrorOf(error: SdnCsvError): FieldError {
  return error.line === null
    ? { path: '/body', message: error.message }
    : { path: `/body/line/${error.line}`, message: `line ${error.line}: ${error.message}` };
}

/**
 * `POST /v1/compliance/sanctions-lists` (compliance, admin): an OFAC SDN.CSV (`text/csv`, up to
 * 32 MiB) becomes the next list version, and every customer is rescreened against it. The current
 * list's content uploaded again answers 200 with the current version and loads nothing.
 */
export const sanctionsListRoutes: FastifyPluginAsyncTypebox<SanctionsListRoutesOptions> = async (
  app,
  { lists },
) => {
  acceptMediaType(app, { media_type: 'text/csv', body_limit_bytes: SANCTIONS_LIST_BODY_LIMIT_BYTES });

  app.post(
    '/v1/compliance/sanctions-lists',
    {
      onRequest: requireRole('compliance', 'admin'),
      schema: {
        tags: ['sanctions'],
        summary: 'Load a sanctions list (OFAC SDN.CSV)',
        description:
          "Loads the list as the next version (201) and queues the rescreening of every customer; the current version's content again is 200 and changes nothing. A file that is not an SDN.CSV is 400 with `errors` naming its lines.",
        consumes: ['text/csv'],
        body: SanctionsListUploadSchema,
        response: { 201: SanctionsListSchema, 200: SanctionsListSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const result = await lists.load({
        csv: request.body,
        loaded_by: principal.client_id,
        request_id: request.id,
      });
      if (!result.ok)
        throw validationFailed(result.errors.map(fieldErrorOf), LOAD_ERROR_DETAIL[result.error]);
      reply.code(result.value.created ? 201 : 200);
      return { list_version: result.value.list_version, entries_loaded: result.value.entries_loaded };
    },
  );
};
