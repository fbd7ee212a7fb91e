import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { logRequestCompleted, NO_ROUTE_DETAIL } from '@ledgerline/config';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
} from 'fastify';
import type { DestinationStream } from 'pino';
import { registerHealthRoutes, type ReadinessCheck } from '../ops/health';
import { registerMetrics, type ServiceMetrics } from '../ops/metrics';
import { ProblemError } from '../problems/problem-error';
import { problemErrorHandler } from '../problems/error-handler';
import { registerRateLimit, type RateLimitOptions } from '../rate-limit/rate-limit';
import { requestIdOf, REQUEST_ID_HEADER } from '../request-id/request-id';
import { BEARER_SECURITY_SCHEME } from '../schemas/common';
import { typeBoxValidatorCompiler } from '../validation/validator-compiler';
import { acceptJsonOnly } from './content-types';
import { deferredChildLogger } from './deferred-child-logger';
import { createLogger, type LogLevel } from './logger';
import { completeRouteSchemas } from './route-schemas';
import { refuseAndDrainWhileClosing } from '../shutdown/drain';
import { addSecurityHeaders } from './security-headers';
import '../principal';

/** A Fastify instance with the TypeBox type provider: route handlers get typed bodies, params and replies. */
export type ServiceApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServiceAppOptions {
  /** Names the service in logs, metrics and the OpenAPI document (`accounts-api`). */
  service_name: string;
  /** Version shown in the OpenAPI document. */
  version?: string;
  log_level: LogLevel;
  /** Where log lines go; stdout when absent. Tests pass a stream to read them. */
  log_destination?: DestinationStream;
  /** Largest accepted request body; 1 MiB when absent. */
  body_limit_bytes?: number;
  /** Fastify `trustProxy`: set it when behind the gateway, so `request.ip` is the client's address. */
  trust_proxy?: boolean | string | string[];
  rate_limit: RateLimitOptions;
  /** Checks `/readyz` runs, by name (`database`, `redis`). */
  readiness_checks?: Readonly<Record<string, ReadinessCheck>>;
  /** How long one readiness check may take before it counts as failed; 2 s when absent. */
  readiness_timeout_ms?: number;
  /**
   * Errors that are passing infrastructure faults (e.g. `isTransientDatabaseError` from the db
   * library): answered 503 `unavailable` with Retry-After instead of 500 `internal`.
   */
  is_transient_error?: (error: unknown) => boolean;
  openapi?: { title?: string; description?: string; servers?: Array<{ url: string; description?: string }> };
}

export const BODY_LIMIT_BYTES_DEFAULT = 1024 * 1024;

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function isQuietPath(request: { url?: string }): boolean {
  return QUIET_PATHS.has((request.url ?? '').split('?', 1)[0] ?? '');
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus registry of this app (served at `/metrics`); services add their own metrics to it. */
    metrics: ServiceMetrics;
  }
}

/**
 * Builds the Fastify app every Ledgerline service starts from: request ids, RFC 9457 problems,
 * TypeBox validation, JSON-only bodies, helmet, rate limiting, OpenAPI at `/openapi.json` with the
 * UI at `/docs`, and `/healthz`, `/readyz`, `/metrics`. Register routes on the returned app; they
 * are rate limited and documented. `listen` and shutdown stay with `main.ts`.
 */
export async function buildServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const body_limit_bytes = options.body_limit_bytes ?? BODY_LIMIT_BYTES_DEFAULT;
  const app = Fastify({
    loggerInstance: createLogger(options.service_name, options.log_level, options.log_destination),
    // The header is read in genReqId, not through `requestIdHeader`, so that it can be checked first.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Probes and scrapes arrive every few seconds; their access lines would drown the API's.
    // One access line per request, when it completes (see below), instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    // A request's logger is made only when something other than its access line is logged.
    childLoggerFactory: deferredChildLogger,
    bodyLimit: body_limit_bytes,
    trustProxy: options.trust_proxy ?? false,
    // Requests that arrive while closing get a problem body with a request id (refuseAndDrainWhileClosing).
    return503OnClosing: false,
    // Errors the router raises before any hook runs (a malformed URL, an over-long parameter) get the
    // same problem body and request id as every other error, never Fastify's default that echoes input.
    frameworkErrors: (error, request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      problemErrorHandler(error, request, reply, options.is_transient_error);
    },
    // Bounded so a slow client cannot hold a connection (and a shutdown) forever.
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ServiceApp;

  app.setValidatorCompiler(typeBoxValidatorCompiler);
  app.setErrorHandler((error, request, reply) =>
    problemErrorHandler(error, request, reply, options.is_transient_error),
  );
  app.decorateRequest('principal', null);
  acceptJsonOnly(app, body_limit_bytes);
  app.addHook('onRoute', completeRouteSchemas);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  refuseAndDrainWhileClosing(app);
  app.addHook('onResponse', async (request, reply) => {
    if (!isQuietPath(request)) await logRequestCompleted(request, reply);
  });

  addSecurityHeaders(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.openapi?.title ?? `Ledgerline ${options.service_name}`,
        version: options.version ?? '1.0.0',
        ...(options.openapi?.description === undefined ? {} : { description: options.openapi.description }),
      },
      ...(options.openapi?.servers === undefined ? {} : { servers: options.openapi.servers }),
      components: {
        securitySchemes: {
          [BEARER_SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });

  // Ops routes come before the rate limiter: probes from one load balancer address must never be limited.
  app.decorate('metrics', registerMetrics(app, options.service_name));
  registerHealthRoutes(app, {
    readiness_checks: options.readiness_checks ?? {},
    readiness_timeout_ms: options.readiness_timeout_ms ?? 2_000,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await registerRateLimit(app, options.rate_limit);
  // Unknown URLs are limited too, so that scanning for routes costs the scanner its budget.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async () => {
    throw new ProblemError('not_found', NO_ROUTE_DETAIL);
  });
  return app;
}
