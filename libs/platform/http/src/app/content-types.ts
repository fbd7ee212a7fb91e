import { findForbiddenJsonContent } from './json-body-guard';
import { ProblemError, validationFailed } from '../problems/problem-error';
import type { FastifyInstance } from 'fastify';

/**
 * Accepts only `application/json` bodies (anything else is 415). Routes that take another media type
 * (the sanctions list upload takes `text/csv`) say so with {@link acceptMediaType}.
 * Fastify's JSON parser is kept (it rejects `__proto__` and `constructor.prototype` keys), except that
 * an empty body counts as no body, so that bodiless POSTs like `/freeze` work whatever content type a
 * client library sends.
 */
export function acceptJsonOnly(app: FastifyInstance, body_limit_bytes: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: body_limit_bytes },
    (request, body, done) => {
      if (body.length === 0) {
        done(null, undefined);
        return;
      }
      parseJson(request, body as string, (error, parsed) => {
        if (error) return done(error, undefined);
        const forbidden = findForbiddenJsonContent(parsed);
        if (forbidden)
          return done(validationFailed([forbidden], 'The request body is not acceptable.'), undefined);
        done(null, parsed);
      });
    },
  );
}

/** A media type some routes take instead of JSON. */
export interface AcceptedMediaType {
  /** Without parameters: `text/csv`. */
  media_type: string;
  /** The largest body these routes take (413 beyond); it may differ from the app's limit either way. */
  body_limit_bytes: number;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const TEXT_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * Makes the routes registered on `app` take bodies of one other media type instead of JSON. Call it
 * in an encapsulated plugin (a route file registered without fastify-plugin): the change stays with
 * that plugin's routes, and every other route keeps `application/json` only. Handlers get the body
 * as a string, read as UTF-8. Any other media type (JSON included), a missing one, or a charset other
 * than UTF-8 is 415 naming the accepted type, answered before the body is read.
 */
export function acceptMediaType(app: FastifyInstance, accepted: AcceptedMediaType): void {
  const media_type = accepted.media_type.toLowerCase();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    media_type,
    { parseAs: 'string', bodyLimit: accepted.body_limit_bytes },
    (_request, body, done) => done(null, body),
  );
  app.addHook('preParsing', async (request) => {
    if (!METHODS_WITH_BODY.has(request.method)) return;
    if (!isAccepted(request.headers['content-type'], media_type))
      throw new ProblemError('unsupported_media_type', `Send the request body as ${media_type} (UTF-8).`);
  });
}

function isAccepted(header: string | undefined, media_type: string): boolean {
  if (header === undefined) return false;
  const [type = '', ...parameters] = header.split(';');
  if (type.trim().toLowerCase() !== media_type) return false;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (
      name.trim().toLowerCase() === 'charset' &&
      !TEXT_CHARSETS.has(value.trim().replace(/^"|"$/g, '').toLowerCase())
    )
      return false;
  }
  return true;
}
