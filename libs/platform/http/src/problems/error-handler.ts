import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { fieldErrorsOf } from '../validation/field-errors';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemCode } from './problem-codes';
import { ProblemError, problemBody, type FieldError } from './problem-error';

interface Problem {
  code: ProblemCode;
  detail: string;
  errors?: FieldError[];
  headers?: Readonly<Record<string, string>>;
}

/** Fastify's own client errors, with a detail we choose rather than Fastify's wording. */
const FASTIFY_ERRORS: Readonly<Record<string, Problem>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'payload_too_large',
    detail: 'The request body is larger than this service accepts.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    detail: 'Send the request body as application/json.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'validation_failed', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'validation_failed', detail: 'The request body is empty.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'validation_failed',
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_NOT_FOUND: { code: 'not_found', detail: 'No resource matches this request.' },
  FST_ERR_BAD_URL: { code: 'validation_failed', detail: 'The request URL is malformed.' },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'validation_failed',
    detail: 'A path parameter is longer than any valid value.',
  },
};

/** Status of any other Fastify (or @fastify plugin) client error, mapped onto a contract code. */
const CODE_BY_STATUS: Readonly<Record<number, ProblemCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/**
 * Decides which problem an error becomes. Only `ProblemError`s and Fastify's own client errors keep
 * their meaning; everything else is a 500 whose detail says nothing about the cause.
 */
export function problemOf(error: unknown, isTransient: TransientErrorTest = () => false): Problem {
  if (error instanceof ProblemError) {
    return { code: error.code, detail: error.detail, errors: error.errors, headers: error.headers };
  }
  const candidate = error as Partial<FastifyError> & {
    validation?: FastifySchemaValidationError[];
    validationContext?: string;
  };
  if (Array.isArray(candidate.validation)) {
    return {
      code: 'validation_failed',
      detail: 'The request is not valid.',
      errors: fieldErrorsOf(candidate.validation, candidate.validationContext),
    };
  }
  const code = typeof candidate.code === 'string' ? candidate.code : '';
  const known = FASTIFY_ERRORS[code];
  if (known !== undefined) return { ...known };
  const status = candidate.statusCode ?? 500;
  if (/^FST_/.test(code) && status >= 400 && status < 500) {
    const mapped = CODE_BY_STATUS[status] ?? 'validation_failed';
    return { code: mapped, detail: PROBLEMS[mapped].title + '.' };
  }
  if (isTransient(error)) {
    return {
      code: 'unavailable',
      detail:
        'The service is overloaded or a dependency is briefly unreachable; nothing was changed. Retry shortly.',
      headers: { 'retry-after': '1' },
    };
  }
  return {
    code: 'internal',
    detail: 'The service could not complete the request. Quote the x-request-id when reporting it.',
  };
}

/** Says whether an error is a passing infrastructure fault (pool exhausted, database restarting). */
export type TransientErrorTest = (error: unknown) => boolean;

/**
 * The one error handler of every service: RFC 9457 bodies, 4xx logged at info, 5xx at error (a 5xx problem raised on purpose at warn).
 * It must never throw, or Fastify's fallback would answer with the raw error message.
 */
export function problemErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  isTransient?: TransientErrorTest,
): void {
  const problem = problemOf(error, isTransient);
  // The contract promises `errors` on every validation problem, also on those Fastify raises itself
  // (malformed JSON, a bad URL), where no field is to blame: then the whole request part is.
  if (problem.code === 'validation_failed' && (problem.errors === undefined || problem.errors.length === 0)) {
    problem.errors = [{ path: requestPartOf(error), message: problem.detail }];
  }
  const status = PROBLEMS[problem.code].status;
  if (status >= 500 && !(error instanceof ProblemError)) {
    request.log.error({ err: error }, 'request failed');
  } else if (status >= 500) {
    // Raised on purpose (a service shutting down, say): worth a warning, not a stack trace.
    request.log.warn({ problem_code: problem.code, status }, 'request refused');
  } else {
    request.log.info({ problem_code: problem.code, status, errors: problem.errors }, 'request rejected');
  }
  for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value);
  reply
    .code(status)
    .header('x-request-id', request.id)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(problem.code, problem.detail, problem.errors));
}

function requestPartOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('FST_ERR_CTP_') ? '/body' : '/url';
}
