/**
 * What every response of the platform must satisfy, whatever was sent (API contract, `Errors`):
 * never a 5xx; a non-2xx is `application/problem+json` with `{ type, title, status, detail, code }`,
 * a contract code whose status is the HTTP status, and `errors: [{ path, message }]` for validation;
 * and no body, of any status, leaks a stack trace, SQL, a driver message, an internal path or a secret.
 */
import { TEST_AUTH_CONFIG } from '@ledgerline/auth/testing';
import type { ServiceName } from './platform';

/** The contract's stable codes and their statuses. `internal` (500) is listed but never acceptable here. */
export const CONTRACT_CODES: Readonly<Record<string, number>> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  idempotency_request_in_progress: 409,
  account_not_empty: 409,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_required: 400,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
};

const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'code', 'errors', 'instance']);

/** Things a response body must never contain, with what each one would reveal. */
const LEAKS: ReadonlyArray<[RegExp, string]> = [
  // Inside JSON a newline is the two characters `\n`.
  [/(?:\n|\\n)\s+at\s+\S.*?:\d+:\d+/, 'a stack trace'],
  [/\bat\s+(?:async\s+)?[\w$.<>]+\s+\((?:file:\/\/|node:|\/)[^)]*:\d+:\d+\)/, 'a stack frame'],
  [
    /node:internal|\b(?:RangeError|TypeError|ReferenceError|SyntaxError):|Maximum call stack|Cannot read propert/,
    'a JavaScript error',
  ],
  [/\bSELECT\b[\s\S]{0,200}\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+"?\w+"?\s+SET\b|\bDELETE\s+FROM\b/i, 'SQL'],
  [
    /syntax error at or near|invalid input syntax|invalid byte sequence|unsupported Unicode escape|violates \w+(?:[ -]\w+)? constraint|duplicate key value|out of range for type|date\/time field value|relation "|column "|SQLSTATE|\bP20\d\d\b|prisma|\$(?:queryRaw|executeRaw)/i,
    'a database or driver message',
  ],
  [
    /\/work\/|\/home\/|node_modules|\/(?:apps|libs)\/[\w-]+\/(?:[\w-]+\/)?src\/|\.ts:\d+|\.m?js:\d+/,
    'an internal path',
  ],
  [new RegExp(TEST_AUTH_CONFIG.JWT_SECRET ?? 'no secret configured'), 'the JWT secret'],
  [
    /BEGIN [A-Z ]*PRIVATE KEY|scrypt\$ln=|secret_hash|wrapped_data_key|_ciphertext/,
    'key material or stored secrets',
  ],
];

export interface SentRequest {
  service: ServiceName;
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
  /** What the generator meant, for failure messages. */
  label: string;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** Problems of one response against the contract; empty when it conforms. */
export function contractViolations(request: SentRequest, response: Answer): string[] {
  const problems: string[] = [];
  const status = response.statusCode;
  if (status >= 500) problems.push(`answered ${status}: the service failed on client input`);
  if (response.headers['x-request-id'] === undefined) problems.push('no x-request-id header');
  for (const [pattern, what] of LEAKS) {
    if (pattern.test(response.body)) problems.push(`the body leaks ${what} (${String(pattern)})`);
  }
  if (status >= 200 && status < 300) return problems;

  const contentType = String(response.headers['content-type'] ?? '');
  if (!/^application\/problem\+json(?:;|$)/.test(contentType)) {
    problems.push(`a ${status} with content-type "${contentType}", not application/problem+json`);
  }
  // HEAD answers carry the headers of the problem but no body.
  if (request.method === 'HEAD') return problems;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    problems.push(`a ${status} whose body is not JSON`);
    return problems;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problems.push(`a ${status} whose body is not a JSON object`);
    return problems;
  }
  const problem = body as Record<string, unknown>;
  for (const field of ['type', 'title', 'detail'] as const) {
    if (typeof problem[field] !== 'string' || problem[field] === '')
      problems.push(`problem.${field} is not a non-empty string`);
  }
  if (problem['status'] !== status)
    problems.push(`problem.status ${String(problem['status'])} is not the HTTP status ${status}`);
  const code = problem['code'];
  if (typeof code !== 'string' || !(code in CONTRACT_CODES)) {
    problems.push(`problem.code ${JSON.stringify(code)} is not a contract code`);
  } else if (CONTRACT_CODES[code] !== status) {
    problems.push(`problem.code ${code} belongs to ${CONTRACT_CODES[code]}, answered with ${status}`);
  }
  const extra = Object.keys(problem).filter((key) => !PROBLEM_KEYS.has(key));
  if (extra.length > 0) problems.push(`the problem has fields outside the contract: ${extra.join(', ')}`);
  if (code === 'validation_failed') {
    const errors = problem['errors'];
    const wellFormed =
      Array.isArray(errors) &&
      errors.length > 0 &&
      errors.every(
        (error: unknown) =>
          error !== null &&
          typeof error === 'object' &&
          typeof (error as { path?: unknown }).path === 'string' &&
          typeof (error as { message?: unknown }).message === 'string',
      );
    if (!wellFormed)
      problems.push(`validation_failed without errors: [{ path, message }] (got ${JSON.stringify(errors)})`);
  } else if (problem['errors'] !== undefined) {
    problems.push(`errors on a ${String(code)} problem`);
  }
  if (status === 429 && response.headers['retry-after'] === undefined)
    problems.push('a 429 without Retry-After');
  return problems;
}

/** A readable one-screen account of a request and its answer. */
export function describeExchange(request: SentRequest, response: Answer): string {
  const payload =
    request.payload === undefined
      ? '(no body)'
      : Buffer.isBuffer(request.payload)
        ? `<${request.payload.length} bytes> ${JSON.stringify(request.payload.subarray(0, 200).toString('latin1'))}`
        : `<${request.payload.length} chars> ${JSON.stringify(request.payload.slice(0, 400))}`;
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      String(value).length > 120 ? `${String(value).slice(0, 120)}...` : value,
    ]),
  );
  return [
    `${request.service}: ${request.method} ${request.url.length > 300 ? `${request.url.slice(0, 300)}...` : request.url}`,
    `  generated as: ${request.label}`,
    `  headers: ${JSON.stringify(headers)}`,
    `  body: ${payload}`,
    `  -> ${response.statusCode} ${String(response.headers['content-type'] ?? '')} ${response.body.slice(0, 600)}`,
  ].join('\n');
}
