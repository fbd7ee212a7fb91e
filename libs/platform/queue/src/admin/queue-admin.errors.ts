/**
 * Why an operator action on a queue was refused.
 * - `queue_not_found`: no queue of the platform has that name.
 * - `job_not_found`: the queue holds no job with that id (never added, or removed by age).
 * - `job_not_failed`: the job exists but is not in the failed set (only failed jobs are retried).
 */
export const QUEUE_ADMIN_ERRORS = ['queue_not_found', 'job_not_found', 'job_not_failed'] as const;
export type QueueAdminError = (typeof QUEUE_ADMIN_ERRORS)[number];

/** A business outcome: the value, or a typed error with a sentence fit for an operator. */
export type QueueAdminOutcome<T> =
  { ok: true; value: T } | { ok: false; error: QueueAdminError; message: string };
