import Type, { type TSchema } from 'typebox';
import { PROBLEM_CODES, type ProblemCode } from '../problems/problem-codes';

/** RFC 9457 problem body; `errors` only on `validation_failed`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Unsafe<ProblemCode>({ type: 'string', enum: PROBLEM_CODES }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({
            description: 'JSON pointer into the request: /body/amount, /query/limit, /params/id',
          }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { description: 'An RFC 9457 problem (application/problem+json).', title: 'Problem' },
);

/** A UUID (the service generates v7; any version is accepted on input). */
export const UuidSchema = Type.String({ format: 'uuid' });

/**
 * A decimal amount as a string. Only the shape is checked here; currency scale and limits are the
 * money library's strict parsing, so that one place owns those rules.
 */
export const DecimalStringSchema = Type.String({
  pattern: '^-?[0-9]+(\\.[0-9]+)?$',
  maxLength: 40,
  examples: ['12.50'],
  description: 'A decimal number as a string, never a JSON number.',
});

/** ISO 8601 UTC timestamp with milliseconds (`2026-01-31T12:00:00.000Z`). */
export const TimestampSchema = Type.String({ format: 'date-time', examples: ['2026-01-31T12:00:00.000Z'] });

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 200;

/**
 * `?limit=&cursor=` of every list. `limit` is optional in the document but the validator fills in the
 * default, so handlers may rely on it being set (`query.limit ?? PAGE_LIMIT_DEFAULT` keeps the compiler happy).
 * Spread `.properties` into a route's own querystring object to add filters.
 */
export const PageQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 1024, description: 'Opaque; from next_cursor.' }),
  ),
});

/** `{ data: [...], next_cursor }`: one page of a keyset-paginated list. */
export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
  });
}

/** HTTP statuses that carry a problem body. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/** A problem response as Fastify and OpenAPI expect it, under its own media type. */
export const ProblemResponse = {
  description: 'An RFC 9457 problem.',
  content: { 'application/problem+json': { schema: ProblemSchema } },
};

/**
 * Response schemas for problem statuses, to spread into a route's `response`:
 * `response: { 200: AccountSchema, ...problemResponses(404, 409) }`. The app adds 400/413/415/429/500
 * and the auth plugin 401/403 where they apply, so list only what the route itself decides.
 */
export function problemResponses<S extends ProblemStatus>(
  ...statuses: S[]
): { [K in S]: typeof ProblemResponse } {
  const responses = {} as { [K in S]: typeof ProblemResponse };
  for (const status of statuses) responses[status] = ProblemResponse;
  return responses;
}

/** Name of the OpenAPI security scheme for `Authorization: Bearer <JWT>`. */
export const BEARER_SECURITY_SCHEME = 'bearer_token';
