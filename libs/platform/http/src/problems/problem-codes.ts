/** The media type of every problem body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The stable problem codes of the API contract (`Errors` section). Clients branch on `code`, so a
 * code is never renamed or reused for another meaning.
 */
export type ProblemCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'idempotency_request_in_progress'
  | 'account_not_empty'
  | 'invalid_state'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'idempotency_key_required'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

export interface ProblemDefinition {
  status: number;
  title: string;
}

/** Status and title of every problem code; `Record` makes the compiler prove the table complete. */
export const PROBLEMS: Readonly<Record<ProblemCode, ProblemDefinition>> = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'The caller may not do this' },
  not_found: { status: 404, title: 'The resource does not exist' },
  idempotency_request_in_progress: {
    status: 409,
    title: 'A request with this idempotency key is in progress',
  },
  account_not_empty: { status: 409, title: 'The account still holds funds or holds' },
  invalid_state: { status: 409, title: 'The resource is not in a state that allows this' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request content type is not supported' },
  idempotency_key_required: { status: 400, title: 'An Idempotency-Key header is required' },
  idempotency_key_reused: { status: 422, title: 'The idempotency key was used with a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  // Not in the contract's list (adding is allowed): overload or a dependency briefly unreachable.
  // Nothing was changed, so the client retries, with the same Idempotency-Key where it sent one.
  unavailable: { status: 503, title: 'The service is briefly unavailable' },
};

export const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

/** The problem `type` URI of a code. A URN, because the codes are identifiers, not documentation pages. */
export function problemType(code: ProblemCode): string {
  return `urn:ledgerline:problem:${code}`;
}
