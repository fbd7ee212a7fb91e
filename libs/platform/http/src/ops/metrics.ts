import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The metrics of one app. Services register their own collectors on `registry`. */
export interface ServiceMetrics {
  registry: Registry;
}

/** Label used for requests that matched no route, so scanners cannot explode the label set. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * A registry per app (no global state, so tests can build many apps) with the default process
 * metrics and one request-duration histogram labelled by route template, never by raw URL. `registry`,
 * when given, is one the process's own collectors (a worker's job metrics) already report to.
 */
export function registerMetrics(
  app: FastifyInstance,
  service_name: string,
  registry: Registry = new Registry(),
): ServiceMetrics {
  registry.setDefaultLabels({ service: service_name });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending the response.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return { registry };
}
