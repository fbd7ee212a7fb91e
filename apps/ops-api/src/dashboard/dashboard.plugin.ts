import cookie from '@fastify/cookie';
import type { QueueAdmin } from '@ledgerline/queue';
import type { FastifyInstance } from 'fastify';
import { queueDashboard } from './queue-dashboard';
import { signInRoutes } from './sign-in.routes';

export interface DashboardPluginOptions {
  queues: QueueAdmin;
}

/**
 * Everything under `/admin`: the operator sign-in (`/admin/login`, `/admin/session`) and the bull-board
 * queue dashboard (`/admin/queues`). Cookies are parsed in this scope only; the API under `/v1` never
 * reads them. Helmet, the JSON-only body parser, the rate limiter and the audit trail apply here as
 * everywhere: bull-board's pages load their scripts and styles from its own static files and send JSON,
 * so nothing had to be relaxed.
 */
export async function dashboardPlugin(app: FastifyInstance, options: DashboardPluginOptions): Promise<void> {
  await app.register(cookie, { hook: 'onRequest' });
  await app.register(signInRoutes);
  await app.register(queueDashboard, { queues: options.queues });
}
