/**
 * The HTTP layer every Ledgerline service is built on.
 *
 * - {@link buildServiceApp}: the Fastify app factory (request ids, RFC 9457 problems, TypeBox
 *   validation, JSON-only bodies, helmet, rate limiting, OpenAPI, `/healthz`, `/readyz`, `/metrics`);
 *   {@link acceptMediaType} lets one route file take another media type instead of JSON.
 * - {@link ProblemError} and {@link PROBLEMS}: throw a problem from a route; the contract's codes.
 * - Shared TypeBox schemas and pagination helpers ({@link pageOf}, {@link encodeCursor}).
 * - {@link installGracefulShutdown} for `main.ts`.
 * - {@link Principal}: the shape of `request.principal`, which `@ledgerline/auth` fills in.
 *
 * `@ledgerline/http/problems` is the problem catalogue and body alone (see `problems/index.ts`).
 */
export {
  buildServiceApp,
  BODY_LIMIT_BYTES_DEFAULT,
  type ServiceApp,
  type ServiceAppOptions,
} from './app/build-service-app';
export type { LogLevel } from './app/logger';
export { addProblemResponses } from './app/route-schemas';
export { acceptMediaType, type AcceptedMediaType } from './app/content-types';
export {
  PROBLEMS,
  PROBLEM_CODES,
  problemType,
  type ProblemCode,
  type ProblemDefinition,
} from './problems/problem-codes';
export {
  ProblemError,
  problemBody,
  validationFailed,
  brieflyUnavailable,
  type FieldError,
  type ProblemBody,
  type ProblemErrorOptions,
} from './problems/problem-error';
export { PROBLEM_CONTENT_TYPE } from './problems/problem-codes';
export {
  ProblemSchema,
  ProblemResponse,
  UuidSchema,
  DecimalStringSchema,
  TimestampSchema,
  PageQuerySchema,
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  pageOf,
  problemResponses,
  BEARER_SECURITY_SCHEME,
  type ProblemStatus,
} from './schemas/common';
export { encodeCursor, decodeCursor, type CursorValue } from './schemas/cursor';
export { REQUEST_ID_HEADER } from './request-id/request-id';
export { addressKeyOf, rateLimitKeyOf, type RateLimitOptions } from './rate-limit/rate-limit';
export type { ReadinessCheck } from './ops/health';
export { buildOpsApp, type OpsAppOptions } from './ops/ops-app';
export type { ServiceMetrics } from './ops/metrics';
export {
  installGracefulShutdown,
  type GracefulShutdown,
  type GracefulShutdownOptions,
} from './shutdown/graceful-shutdown';
export { ROLES, type Role, type Principal } from './principal';
export { RateLimitConfigSchema, type RateLimitConfig } from './rate-limit/rate-limit-config';
