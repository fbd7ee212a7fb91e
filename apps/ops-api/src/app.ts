import { buildApiApp, type ApiAppOptions } from '@ledgerline/service';
import type { ServiceApp } from '@ledgerline/http';

export type OpsAppOptions = Omit<ApiAppOptions, 'service_name' | 'openapi'>;

/**
 * The ops API, for operators (and admins): the queues' state, pausing and resuming them, retrying
 * failed jobs, and the queue dashboard at `/admin/queues`. The caller owns `db` and `redis`.
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
  return app;
}
