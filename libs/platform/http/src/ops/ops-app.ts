import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import { registerHealthRoutes, type ReadinessCheck } from './health';
import { registerMetrics } from './metrics';

export interface OpsAppOptions {
  service_name: string;
  /** The service's logger; the ops routes themselves write no access lines (probes and scrapes are constant). */
  logger: FastifyBaseLogger;
  readiness_checks: Readonly<Record<string, ReadinessCheck>>;
  readiness_timeout_ms?: number;
  /** The registry the process's own metrics (jobs, relay) report to; `/metrics` serves it. A new one when absent. */
  registry?: Registry;
}

/**
 * The operations port of a process that serves no API (the relay and the workers): `/healthz` for
 * liveness, `/readyz` (its dependencies reachable) and `/metrics` (Prometheus: the process metrics every
 * service has and the process's own, labelled with the service name), the same three routes and
 * answers as a service's. It
 * is built apart from the services' app because it has no API, no tokens and no rate limit.
 */
export function buildOpsApp(options: OpsAppOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    // A probe or a scrape that has not finished when the process stops must not hold up its shutdown.
    forceCloseConnections: true,
  });
  registerMetrics(app, options.service_name, options.registry);
  registerHealthRoutes(app, {
    readiness_checks: options.readiness_checks,
    readiness_timeout_ms: options.readiness_timeout_ms ?? 2_000,
  });
  return app;
}
