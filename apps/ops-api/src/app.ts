import { buildApiApp, type ApiAppOptions } from '@ledgerline/service';
import type { ServiceApp } from '@ledgerline/http';
import { createQueueAdmin } from '@ledgerline/queue';
import { dashboardPlugin } from './dashboard/dashboard.plugin';
import { registerPipelineMetrics } from './metrics/pipeline-metrics';
import { queueRoutes } from './routes/queues.routes';

/**
 * `redis` serves the rate limits and the queues: it must be a producer connection
 * (`createProducerConnection`, as `runHttpService` makes), since the queue admin issues only short
 * commands and an operator's request should fail at once while Redis is unreachable. `key_prefix` is
 * the queues' BullMQ prefix (`QUEUE_PREFIX`), the one the platform's producers and workers use.
 */
export type OpsAppOptions = Omit<ApiAppOptions, 'service_name' | 'openapi'>;

/**
 * The ops API, for operators (and admins): the queues' state, pausing and resuming them, retrying
 * failed jobs, the queue dashboard at `/admin/queues`, and the platform's backlog on `/metrics` (for
 * Prometheus, inside the cluster: the edge does not pass `/metrics` on). The caller owns `db` and `redis`.
 */
export async function buildOpsApp(options: OpsAppOptions): Promise<ServiceApp> {
  const app = await buildApiApp({
    ...options,
    service_name: 'ops-api',
    openapi: {
      title: 'Ledgerline ops API',
      description: 'The queues: their state, pausing and resuming them, retrying failed jobs.',
    },
  });
  const queues = createQueueAdmin({
    connection: options.redis,
    prefix: options.key_prefix,
    logger: { warn: (object, message) => app.log.warn(object, message) },
  });
  app.addHook('onClose', () => queues.close());
  registerPipelineMetrics({
    registry: app.metrics.registry,
    db: options.db,
    queues,
    logger: { warn: (object, message) => app.log.warn(object, message) },
  });
  await app.register(queueRoutes, { queues });
  await app.register(dashboardPlugin, { queues });
  return app;
}
