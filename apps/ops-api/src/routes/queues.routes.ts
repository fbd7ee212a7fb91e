import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemError, problemResponses, type ProblemCode } from '@ledgerline/http';
import {
  RETRY_FAILED_PER_CALL_MAX,
  type QueueAdmin,
  type QueueAdminError,
  type QueueAdminOutcome,
} from '@ledgerline/queue';
import {
  JobParamsSchema,
  QueueParamsSchema,
  QueueSummaryListSchema,
  QueueSummarySchema,
  RetriedJobSchema,
  RetryFailedResultSchema,
} from './queues.schemas';
import { requireOperator } from '../access';

export interface QueueRoutesOptions {
  queues: QueueAdmin;
}

const ERROR_PROBLEM: Record<QueueAdminError, ProblemCode> = {
  queue_not_found: 'not_found',
  job_not_found: 'not_found',
  job_not_failed: 'invalid_state',
};

function unwrap<T>(outcome: QueueAdminOutcome<T>): T {
  if (!outcome.ok) throw new ProblemError(ERROR_PROBLEM[outcome.error], outcome.message);
  return outcome.value;
}

/** `/v1/ops/queues`: every queue's state, pausing and resuming a queue, retrying failed jobs. */
export const queueRoutes: FastifyPluginAsyncTypebox<QueueRoutesOptions> = async (app, { queues }) => {
  app.get(
    '/v1/ops/queues',
    {
      onRequest: requireOperator,
      schema: {
        tags: ['ops'],
        summary: "List every queue's job counts, whether it is paused, and how long its next job has waited",
        response: { 200: QueueSummaryListSchema },
      },
    },
    async () => queues.summaries(),
  );

  app.post(
    '/v1/ops/queues/:name/pause',
    {
      onRequest: requireOperator,
      schema: {
        tags: ['ops'],
        summary:
          'Pause a queue: workers finish their active jobs and take no new ones (pausing twice is harmless)',
        description: 'Answers the queue as it is after the pause.',
        params: QueueParamsSchema,
        response: { 200: QueueSummarySchema, ...problemResponses(404) },
      },
    },
    async (request) => unwrap(await queues.pause(request.params.name)),
  );

  app.post(
    '/v1/ops/queues/:name/resume',
    {
      onRequest: requireOperator,
      schema: {
        tags: ['ops'],
        summary: 'Resume a paused queue (resuming a running queue is harmless)',
        description: 'Answers the queue as it is after the resume.',
        params: QueueParamsSchema,
        response: { 200: QueueSummarySchema, ...problemResponses(404) },
      },
    },
    async (request) => unwrap(await queues.resume(request.params.name)),
  );

  app.post(
    '/v1/ops/queues/:name/retry-failed',
    {
      onRequest: requireOperator,
      schema: {
        tags: ['ops'],
        summary: "Move a queue's failed jobs back to waiting, a bounded number per call",
        description: `Retries at most ${RETRY_FAILED_PER_CALL_MAX} jobs per call, oldest failure first, each for one more attempt; call again while \`failed_remaining\` is above zero. Jobs are idempotent, so a retry never changes money twice.`,
        params: QueueParamsSchema,
        response: { 200: RetryFailedResultSchema, ...problemResponses(404) },
      },
    },
    async (request) => unwrap(await queues.retryFailed(request.params.name)),
  );

  app.post(
    '/v1/ops/queues/:name/jobs/:id/retry',
    {
      onRequest: requireOperator,
      schema: {
        tags: ['ops'],
        summary: 'Move one failed job back to waiting',
        description:
          'A job that is not failed (waiting, active, delayed, completed) is refused with 409 invalid_state.',
        params: JobParamsSchema,
        response: { 200: RetriedJobSchema, ...problemResponses(404, 409) },
      },
    },
    async (request) => unwrap(await queues.retryJob(request.params.name, request.params.id)),
  );
};
