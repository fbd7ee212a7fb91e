import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import { ProblemError } from '@ledgerline/http';
import { QUEUE_NAMES, type QueueAdmin } from '@ledgerline/queue';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireOperator } from '../access';
import { DASHBOARD_PATH, principalFromSessionCookie, SIGN_IN_PATH } from './session-cookie';

const DASHBOARD_API_PATH = `${DASHBOARD_PATH}/api/`;

/**
 * bull-board's own error handler answers with the thrown error's message (a Redis or script error
 * included). This adapter hands every error on to the app's problem handler instead, so the dashboard's
 * routes answer like the API: 401/403/429 problems, and a bare 500 that says nothing of the cause.
 * bull-board's expected outcomes (an unknown queue or job) are answers, not errors, and pass unchanged.
 */
class ProblemFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(): this {
    return super.setErrorHandler((error) => {
      throw error;
    });
  }
}

/**
 * What an operator may change from the dashboard: pausing and resuming queues, retrying failed jobs,
 * and running delayed jobs now; what the ops API offers, plus promote. Jobs are idempotent, so none of
 * these can change money twice. The rest of bull-board's actions (adding jobs, editing their data,
 * removing, cleaning, emptying or obliterating queues, changing rate limits, concurrency and schedulers)
 * would lose jobs the platform waits for or bypass the transactional outbox, and are refused with 403.
 */
const MUTATIONS_ALLOWED = new Set(
  [
    'PUT /api/queues/pause',
    'PUT /api/queues/resume',
    'PUT /api/queues/:queueName/pause',
    'PUT /api/queues/:queueName/resume',
    'PUT /api/queues/:queueName/retry/:queueStatus',
    'PUT /api/queues/:queueName/promote',
    'PUT /api/queues/:queueName/:jobId/retry',
    'PUT /api/queues/:queueName/:jobId/promote',
  ].map((route) => route.replace(' ', ` ${DASHBOARD_PATH}`)),
);

const READ_METHODS = new Set(['GET', 'HEAD']);

/** Anonymous: the sign-in page for pages, 401 for the dashboard's JSON API. Another role: 403. */
async function requireDashboardOperator(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | void> {
  if (request.principal === null && !request.url.startsWith(DASHBOARD_API_PATH)) {
    return reply.redirect(SIGN_IN_PATH, 303);
  }
  await requireOperator(request);
}

async function refuseUnsafeMutations(request: FastifyRequest): Promise<void> {
  if (READ_METHODS.has(request.method)) return;
  const allowed =
    MUTATIONS_ALLOWED.has(`${request.method} ${request.routeOptions.url ?? ''}`) &&
    // Retrying every completed job would re-run up to a day of work at once.
    (request.params as { queueStatus?: unknown }).queueStatus !== 'completed';
  if (!allowed) {
    throw new ProblemError(
      'forbidden',
      'The dashboard may pause, resume, retry failed jobs and promote delayed ones; not this.',
    );
  }
}

/**
 * The bull-board dashboard at `/admin/queues` over every queue of the platform (with its prefix, through
 * the queue admin's queues), for operators and admins signed in with a bearer token or the session
 * cookie. Its routes are hidden from the OpenAPI document. Register inside a scope that has
 * `@fastify/cookie`.
 */
export async function queueDashboard(app: FastifyInstance, options: { queues: QueueAdmin }): Promise<void> {
  const serverAdapter = new ProblemFastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map(
      (name) => new BullMQAdapter(options.queues.queue(name), { readOnlyMode: false, allowRetries: true }),
    ),
    // @bull-board/fastify 9.10.1 declares its types against its own copy of @bull-board/api (9.10.1), whose
    // classes differ from 9.10.2's only in private fields; at run time the adapter uses the interface alone.
    serverAdapter: serverAdapter as unknown as IServerAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Ledgerline queues',
        miscLinks: [{ text: 'Sign in / out', url: SIGN_IN_PATH }],
        // The documentation link leaves the site; operators have the project's own docs.
        hideDocsLink: true,
        showWorkers: true,
      },
    },
  });
  // Hooks of this scope run for bull-board's routes only: the cookie is read, then the caller checked,
  // then the action, all before bull-board sees the request.
  await app.register(async (scope) => {
    scope.addHook('onRequest', principalFromSessionCookie);
    scope.addHook('onRequest', requireDashboardOperator);
    scope.addHook('onRequest', refuseUnsafeMutations);
    // Without it a dashboard call made while Redis is down would wait for it; with it, a 503 at once.
    scope.addHook('onRequest', async (request) => {
      if (request.url.startsWith(DASHBOARD_API_PATH)) options.queues.requireReachable();
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
