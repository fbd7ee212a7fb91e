import { JOB_ID_LENGTH_MAX, JOB_STATES, QUEUE_NAMES, RETRY_FAILED_PER_CALL_MAX } from '@ledgerline/queue';
import Type from 'typebox';

const QueueNameSchema = Type.Enum(QUEUE_NAMES, { description: 'The queue.' });
const CountSchema = Type.Integer({ minimum: 0 });

/** One queue's state. */
export const QueueSummarySchema = Type.Object(
  {
    name: QueueNameSchema,
    waiting: Type.Integer({
      minimum: 0,
      description: 'Jobs ready to run. They stay here, and are counted, while the queue is paused.',
    }),
    active: Type.Integer({ minimum: 0, description: 'Jobs a worker is running now.' }),
    delayed: Type.Integer({
      minimum: 0,
      description: 'Jobs due later: scheduled (hold expiries) or backing off after a failed attempt.',
    }),
    failed: Type.Integer({
      minimum: 0,
      description: 'Jobs that used up their attempts, kept two weeks for operators to retry.',
    }),
    completed: Type.Integer({
      minimum: 0,
      description: 'Jobs finished in the last day (kept for redelivery checks).',
    }),
    paused: Type.Boolean({ description: 'Whether workers are held off this queue.' }),
    oldest_waiting_ms: Type.Union([CountSchema, Type.Null()], {
      description:
        'How long the next job in line has been waiting, in milliseconds, counted from when it became due (added, or its delay ended); null when no job waits. For a job back from a failed attempt it counts from its first add plus its last backoff, so it may overstate.',
    }),
  },
  { title: 'QueueSummary' },
);

export const QueueSummaryListSchema = Type.Array(QueueSummarySchema, {
  description: `Every queue of the platform, in this order: ${QUEUE_NAMES.join(', ')}.`,
});

export const QueueParamsSchema = Type.Object(
  {
    // Any well-formed name is accepted here, so that an unknown queue is a 404 rather than a 400.
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z][a-z0-9-]*$',
      examples: [...QUEUE_NAMES],
    }),
  },
  { additionalProperties: false },
);

export const JobParamsSchema = Type.Object(
  {
    ...QueueParamsSchema.properties,
    id: Type.String({
      minLength: 1,
      // The router refuses longer path parameters (Fastify's maxParamLength, 100) before validation; every
      // job id the platform makes is far shorter (`screen-customer-<uuid>` is 52 characters).
      maxLength: Math.min(JOB_ID_LENGTH_MAX, 100),
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'The job id, e.g. screen-<transfer id>.',
      examples: ['screen-0190a000-0000-7000-8000-000000000001'],
    }),
  },
  { additionalProperties: false },
);

export const RetryFailedResultSchema = Type.Object(
  {
    name: QueueNameSchema,
    retried: Type.Integer({
      minimum: 0,
      maximum: RETRY_FAILED_PER_CALL_MAX,
      description: `Failed jobs moved back to waiting by this call, oldest failure first: at most ${RETRY_FAILED_PER_CALL_MAX}. Each gets one more attempt.`,
    }),
    failed_remaining: Type.Integer({
      minimum: 0,
      description: 'Jobs still failed afterwards; call again while this is above zero.',
    }),
  },
  { title: 'RetryFailedResult' },
);

export const RetriedJobSchema = Type.Object(
  {
    id: Type.String(),
    name: QueueNameSchema,
    state: Type.Enum(JOB_STATES, {
      description:
        'The job state read back after the retry: waiting, or already active (or done) if a worker was quick.',
    }),
  },
  { title: 'RetriedJob' },
);
