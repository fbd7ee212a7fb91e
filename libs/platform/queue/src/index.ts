/**
 * BullMQ for Ledgerline: queue names and typed payloads, deterministic job ids, connection factories,
 * the job options of every queue, a worker factory with logging, and the transactional outbox.
 *
 * A job travels like this: a service writes an outbox row in its own transaction
 * ({@link enqueueOutbox}), the relay ({@link createOutboxRelay}) publishes it with its deterministic id,
 * and a worker ({@link createWorker}) processes it at least once. Code already outside a transaction
 * (a worker adding the next job) adds directly with a {@link JobProducer}; re-adding is harmless.
 *
 * Queues: `screening` (`screen`, `screen-set`, `screen-batch`), `ledger` (`advance`, `advance-set`, `advance-batch`),
 * `hold-expiry` (`expire-hold`, delayed to a hold's `hold_expires_at`), `sanctions` (`screen-customer`,
 * `rescreen-customers`) and `reports` (`run-report`). Payloads carry ids only: `{ transfer_id,
 * request_id }` (a list of them for the set jobs), `{ batch_id, request_id }`, `{ customer_id, request_id }`, `{ list_version,
 * request_id }` or `{ report_id, request_id }`.
 *
 * Operators steer the queues through {@link createQueueAdmin}: each queue's counts, pausing and
 * resuming it, and retrying failed jobs (bounded per call).
 */
export {
  QUEUE_NAMES,
  JOB_ID_LENGTH_MAX,
  REQUEST_ID_LENGTH_MAX,
  jobs,
  jobIds,
  isValidJobId,
  assertJobId,
  readTransferJobData,
  readTransferSetJobData,
  readBatchJobData,
  readCustomerJobData,
  readSanctionsListJobData,
  readReportJobData,
  type QueueName,
  type JobName,
  type JobSpec,
  type JobCatalog,
  type TransferJobData,
  type TransferSetJobData,
  TRANSFER_SET_SIZE_MAX,
  type BatchJobData,
  type CustomerJobData,
  type SanctionsListJobData,
  type ReportJobData,
  type HoldActionName,
} from './jobs/jobs';
export { JOB_OPTIONS, jobOptionsFor } from './jobs/job-options';
export {
  createJobProducer,
  scheduleHoldExpiry,
  HOLD_EXPIRY_MARGIN_MS,
  type JobProducer,
  type JobProducerOptions,
  type AddJobOptions,
  type RawJob,
  type HoldExpiry,
} from './jobs/producer';
export { gatherJobAdds, type GatheredJobAdds, type GatheredJobAddsOptions } from './jobs/gathered-adds';
export { combineTransferJobs, forEachTransferOfSet } from './jobs/transfer-sets';
export {
  createProducerConnection,
  createQueueConnections,
  createWorkerConnection,
  waitForReady,
  type QueueConnections,
  type RedisConnectionOptions,
} from './connection/connection';
export { isTransientRedisError } from './connection/redis-errors';
export { createWorker, jobLogger, type CreateWorkerOptions, type JobProcessor } from './worker/create-worker';
export { createJobMetrics, type JobMetrics, type JobAttemptOutcome } from './worker/job-metrics';
export {
  claimedOutboxInsert,
  enqueueOutbox,
  outboxInsert,
  type OutboxMessage,
  type OutboxWriter,
} from './outbox/enqueue';
export { createRelayMetrics, type RelayMetrics, type PublishedRow } from './outbox/relay-metrics';
export {
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRunResult,
} from './outbox/relay';
export {
  createQueueAdmin,
  JOB_STATES,
  RETRY_FAILED_PER_CALL_MAX,
  type QueueAdmin,
  type QueueAdminOptions,
  type QueueSummary,
  type RetryFailedResult,
  type RetriedJob,
  type JobState,
} from './admin/queue-admin';
export { QUEUE_ADMIN_ERRORS, type QueueAdminError, type QueueAdminOutcome } from './admin/queue-admin.errors';
export { UnrecoverableError, type Job, type Worker, type Queue } from 'bullmq';
