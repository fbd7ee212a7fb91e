import { findForbiddenJsonContent } from './json-body-guard';
import { validationFailed } from '../problems/problem-error';
import type { FastifyInstance } from 'fastify';

/**
 * Accepts only `application/json` bodies (anything else is 415). Apps add other parsers for the few
 * routes that take other media types (the sanctions list upload takes `text/csv`).
 * Fastify's JSON parser is kept (it rejects `__proto__` and `constructor.prototype` keys), except that
 * an empty body counts as no body, so that bodiless POSTs like `/freeze` work whatever content type a
 * client library sends.
 */
export function acceptJsonOnly(app: FastifyInstance, body_limit_bytes: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: body_limit_bytes }, (request, body, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, (error, parsed) => {
      if (error) return done(error, undefined);
      const forbidden = findForbiddenJsonContent(parsed);
      if (forbidden) return done(validationFailed([forbidden], 'The request body is not acceptable.'), undefined);
      done(null, parsed);
    });
  });
}
