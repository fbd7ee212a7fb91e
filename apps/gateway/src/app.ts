import { randomUUID } from 'node:crypto';
import httpProxy from '@fastify/http-proxy';
import {
  INTERNAL_PATHS,
  logRequestCompleted,
  NO_ROUTE_DETAIL,
  ROUTED_PREFIXES,
  stdoutLogDestination,
  type UpstreamName,
} from '@ledgerline/config';
import { PROBLEM_CONTENT_TYPE, problemBody, type ProblemBody } from '@ledgerline/http/problems';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { pino, type DestinationStream } from 'pino';
import { mergeOpenApiDocuments, type OpenApiDocument } from './openapi-merge';

export interface GatewayOptions {
  upstreams: Record<UpstreamName, string>;
  log_level: string;
  /** How long one upstream may take before the client gets 504. */
  upstream_timeout_ms: number;
  /** Where log lines go; stdout when absent. Tests pass a stream to read them. */
  log_destination?: DestinationStream;
}

const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * The single base URL for clients. It only routes: authentication, validation and problems are the
 * services' job. It does fix the request id first, so the id a client sees is the one every
 * service, relay and worker logs.
 */
export async function buildGatewayApp(options: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: pino(
      { level: options.log_level, base: { service: 'gateway' }, timestamp: pino.stdTimeFunctions.isoTime },
      options.log_destination ?? stdoutLogDestination(),
    ) as FastifyBaseLogger,
    // One access line per request, when it completes (below), instead of Fastify's two; the request id
    // under the same label the services use, so one search finds a request in every log.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    // Bodies are streamed through untouched; the services enforce their own limits.
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // A URL the router cannot read gets a problem body that does not echo it back.
    frameworkErrors: (error, request, reply) => sendGatewayProblem(error, request, reply),
  });
  // An upstream that refuses or drops the connection, or does not answer in time: a problem body that
  // names neither the upstream's address nor the error, and says what a client of a money API must do.
  app.setErrorHandler((error, request, reply) => sendGatewayProblem(error, request, reply));

  app.addHook('onRequest', async (request, reply) => {
    request.headers['x-request-id'] = request.id;
    // The gateway is the edge: the services trust X-Forwarded-For (TRUST_PROXY) for rate limits and the
    // login lockout, so it must name the peer that connected here, never what the client wrote in it.
    request.headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', logRequestCompleted);

  // Anything not listed belongs to the accounts service (as nginx's `location /` says): its /metrics,
  // /docs, and the problem-shaped 404 of an unknown path. The gateway's own routes below are static
  // paths, which the router prefers to these wildcards.
  for (const { prefix, upstream } of [...ROUTED_PREFIXES, { prefix: '/', upstream: 'accounts' as const }]) {
    await app.register(httpProxy, {
      upstream: options.upstreams[upstream],
      prefix,
      rewritePrefix: prefix,
      // reply-from's own "fetching from remote server" / "response received" lines would double the
      // access log; failures still reach the error handler and the access line carries the status.
      disableRequestLogging: true,
      // undici's pool (reply-from's default client) costs about half of node:http per proxied request.
      undici: {
        connections: 128,
        headersTimeout: options.upstream_timeout_ms,
        bodyTimeout: options.upstream_timeout_ms,
      },
    });
  }

  // Static routes, which the router prefers to the proxies' wildcards: the services' /metrics stops here.
  for (const internal of INTERNAL_PATHS) {
    app.all(internal, async (request, reply) =>
      sendProblem(request, reply, problemBody('not_found', NO_ROUTE_DETAIL)),
    );
  }

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      Object.entries(options.upstreams).map(async ([name, url]) => [name, await isReady(url)] as const),
    );
    const failing = results.filter(([, ready]) => !ready).map(([name]) => name);
    return reply
      .code(failing.length === 0 ? 200 : 503)
      .send({ status: failing.length === 0 ? 'ready' : 'not_ready', failing });
  });

  app.get('/openapi.json', async (_request, reply) => {
    const documents = await Promise.all(
      Object.values(options.upstreams).map(async (url) => {
        const response = await fetch(new URL('/openapi.json', url), { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`upstream ${url} answered ${response.status} for /openapi.json`);
        return (await response.json()) as OpenApiDocument;
      }),
    );
    return reply.send(
      mergeOpenApiDocuments(documents, {
        title: 'Ledgerline API',
        version: '1.0.0',
        description:
          'Accounts, transfers, the double-entry ledger, compliance and operations. See api-contract.md.',
      }),
    );
  });

  return app;
}

/** What the gateway answers when it could not route a request (never the upstream's error or address). */
function sendGatewayProblem(raw: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const error = (raw ?? {}) as { statusCode?: number };
  const refused = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
  if (refused) request.log.info({ err: error }, 'request refused by the gateway');
  else request.log.warn({ err: error }, 'upstream did not answer');
  // The services' problem catalogue; an upstream failure keeps its gateway status (502, or 504 on a timeout).
  const status = refused ? 400 : error.statusCode === 504 ? 504 : 502;
  const body = refused
    ? problemBody('validation_failed', 'The request URL could not be read.', [
        { path: '/url', message: 'is not a valid URL' },
      ])
    : // A POST may have reached the service before the connection failed: only its key tells.
      problemBody(
        'unavailable',
        'The service behind this path did not answer. A request that moves money may or may not have been carried out: retry it with the same Idempotency-Key.',
      );
  sendProblem(request, reply, { ...body, status });
}

function sendProblem(request: FastifyRequest, reply: FastifyReply, body: ProblemBody): void {
  reply
    .code(body.status)
    .header('x-request-id', request.id)
    .header('x-content-type-options', 'nosniff')
    .type(PROBLEM_CONTENT_TYPE)
    .send(body);
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/readyz', baseUrl), { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}
