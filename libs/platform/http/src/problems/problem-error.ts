import { PROBLEMS, problemType, type ProblemCode } from './problem-codes';

/** One invalid field: `path` is a JSON pointer into the request (`/body/amount`, `/query/limit`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The RFC 9457 body every error response carries. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: FieldError[];
}

export interface ProblemErrorOptions {
  errors?: FieldError[];
  /** Response headers that belong to the problem, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error that becomes exactly this problem response. `detail` is shown to the client, so it must
 * never contain secrets, SQL or another caller's data. Anything thrown that is not a `ProblemError`
 * (or a known Fastify client error) is answered as a generic 500.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: ProblemCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ProblemCode, detail: string, options: ProblemErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }

  /** Fastify reads `statusCode` from errors; keep it consistent with the problem. */
  get statusCode(): number {
    return this.status;
  }

  toBody(): ProblemBody {
    return problemBody(this.code, this.detail, this.errors);
  }
}

export function problemBody(code: ProblemCode, detail: string, errors?: FieldError[]): ProblemBody {
  const { status, title } = PROBLEMS[code];
  const body: ProblemBody = { type: problemType(code), title, status, detail, code };
  if (errors !== undefined) body.errors = errors;
  return body;
}

/** A 400 `validation_failed` problem for checks done in code (money parsing, cursors, cross-field rules). */
export function validationFailed(errors: FieldError[], detail = 'The request is not valid.'): ProblemError {
  return new ProblemError('validation_failed', detail, { errors });
}

/**
 * A 503 `unavailable` problem for a passing condition: the client retries after a second (`Retry-After`),
 * and nothing was changed. `headers` adds to that one (`connection: close` during a shutdown).
 */
export function brieflyUnavailable(detail: string, headers: Record<string, string> = {}): ProblemError {
  return new ProblemError('unavailable', detail, { headers: { 'retry-after': '1', ...headers } });
}
