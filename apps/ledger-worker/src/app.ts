import type { BatchMetrics } from '@ledgerline/batching';
import type { Database } from '@ledgerline/db';
import {
  createAdvanceBatcher,
  createPostingEngine,
  type AdvanceBatcher,
  type AdvanceResult,
  type PostingEngine,
} from '@ledgerline/ledger';
import {
  createJobProducer,
  createQueueConnections,
  createWorker,
  readBatchJobData,
  readTransferJobData,
  readTransferSetJobData,
  forEachTransferOfSet,
  scheduleHoldExpiry,
  UnrecoverableError,
  type Job,
  type JobMetrics,
  type JobProducer,
  type Worker,
} from '@ledgerline/queue';
import type { Logger } from 'pino';
import { createHoldExpirySweeper, findPendingHold, type HoldExpirySweeper } from './hold-expiry';
import { createStuckTransferSweeper, type StuckTransferSweeper } from './stuck-transfers';
import type { SweeperMetrics } from './sweeper-metrics';

export interface LedgerWorkerOptions {
  /** The caller owns it and disconnects it after `close()`. */
  db: Database;
  redis_url: string;
  prefix: string;
  /** Ledger jobs in flight at once. */
  concurrency: number;
  /** The most transfers one posting transaction advances. */
  batch_size_max: number;
  /** How long the first job of a batch waits for others. */
  linger_ms: number;
  /** Posting transactions at once (see the batcher's `batches_in_flight_max`). Default 2. */
  batches_in_flight_max?: number;
  hold_expiry_concurrency: number;
  hold_sweep_interval_ms: number;
  hold_sweep_batch_size_max: number;
  stuck_sweep_interval_ms: number;
  /** A transfer waiting for a job that nothing touched for this long gets its job again. */
  stuck_after_ms: number;
  stuck_sweep_batch_size_max: number;
  logger: Logger;
  /** Where its workers report their jobs (`createJobMetrics`); none when absent. */
  job_metrics?: JobMetrics;
  /** Where the sweepers count what they did (`createSweeperMetrics`); none when absent. */
  sweeper_metrics?: SweeperMetrics;
  /** Where the posting batches are reported (`createBatchMetrics`); none when absent. */
  batch_metrics?: BatchMetrics;
}

export interface LedgerWorker {
  ledger: Worker;
  holdExpiry: Worker;
  sweeper: HoldExpirySweeper;
  stuckSweeper: StuckTransferSweeper;
  /** Stops the sweepers, lets in-flight jobs finish, then closes the workers and Redis connections. */
  close(): Promise<void>;
}

/**
 * The `ledger` queue and hold expiry. Each `advance` job submits its transfer to the micro-batcher, so
 * the jobs in flight at one moment are posted in one database transaction, and an `advance-set` job (the
 * transfers one screening batch approved) submits each of its transfers; `advance-batch` jobs post an
 * atomic batch in one engine call. A transfer that becomes a pending hold gets a delayed `hold-expiry`
 * job at its `hold_expires_at`, and a sweeper voids any expired hold such a job missed. Another sweeper
 * re-queues the job of any transfer that waited too long for screening or the ledger (a lost job).
 */
export async function startLedgerWorker(options: LedgerWorkerOptions): Promise<LedgerWorker> {
  const { logger } = options;
  const engine = createPostingEngine({ db: options.db, batch_size_max: options.batch_size_max, logger });
  const batcher = createAdvanceBatcher({
    engine,
    batch_size_max: options.batch_size_max,
    linger_ms: options.linger_ms,
    ...(options.batches_in_flight_max === undefined
      ? {}
      : { batches_in_flight_max: options.batches_in_flight_max }),
    logger,
    metrics: options.batch_metrics,
  });
  const connections = createQueueConnections({
    url: options.redis_url,
    connection_name: 'ledger-worker',
    logger,
  });
  const producer = createJobProducer({ connection: connections.producer, prefix: options.prefix, logger });
  const dependencies: LedgerJobDependencies = { db: options.db, engine, batcher, producer };

  const ledger = createWorker({
    queue: 'ledger',
    connection: connections.worker,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger,
    metrics: options.job_metrics,
    process: (job, log) => processLedgerJob(dependencies, job, log),
  });
  const holdExpiry = createWorker({
    queue: 'hold-expiry',
    connection: connections.worker,
    prefix: options.prefix,
    concurrency: options.hold_expiry_concurrency,
    logger,
    metrics: options.job_metrics,
    process: (job, log) => processHoldExpiryJob(dependencies, job, log),
  });
  const sweeper = createHoldExpirySweeper({
    db: options.db,
    engine,
    interval_ms: options.hold_sweep_interval_ms,
    batch_size_max: options.hold_sweep_batch_size_max,
    logger,
    metrics: options.sweeper_metrics,
  });
  const stuckSweeper = createStuckTransferSweeper({
    db: options.db,
    producer,
    interval_ms: options.stuck_sweep_interval_ms,
    stuck_after_ms: options.stuck_after_ms,
    batch_size_max: options.stuck_sweep_batch_size_max,
    logger,
    metrics: options.sweeper_metrics,
  });
  await Promise.all([ledger.waitUntilReady(), holdExpiry.waitUntilReady()]);
  sweeper.start();
  stuckSweeper.start();
  logger.info(
    { concurrency: options.concurrency, batch_size_max: options.batch_size_max },
    'ledger worker started',
  );

  return {
    ledger,
    holdExpiry,
    sweeper,
    stuckSweeper,
    async close() {
      await Promise.all([sweeper.stop(), stuckSweeper.stop()]);
      // Jobs in flight wait on the batcher, which flushes within linger_ms; close() waits for them.
      await Promise.all([ledger.close(), holdExpiry.close()]);
      await batcher.close();
      await producer.close();
      await connections.quit();
      logger.info('ledger worker stopped');
    },
  };
}

interface LedgerJobDependencies {
  db: Database;
  engine: PostingEngine;
  batcher: AdvanceBatcher;
  producer: JobProducer;
}

async function processLedgerJob(dependencies: LedgerJobDependencies, job: Job, log: Logger): Promise<string> {
  switch (job.name) {
    case 'advance': {
      const { transfer_id, request_id } = readTransferJobData(job.data);
      return (await advanceOne(dependencies, transfer_id, request_id, log)).status;
    }
    case 'advance-set': {
      // Each transfer as its own `advance` job would go; the batcher may post them in different batches.
      const { transfers } = readTransferSetJobData(job.data);
      const results = await forEachTransferOfSet(transfers, ({ transfer_id, request_id }) =>
        advanceOne(dependencies, transfer_id, request_id, log.child({ request_id })),
      );
      return summarize(results);
    }
    case 'advance-batch': {
      const { batch_id, request_id } = readBatchJobData(job.data);
      const results = await dependencies.engine.advanceAtomicBatch(batch_id);
      if (results.length === 0) throw new UnrecoverableError(`batch ${batch_id} has no transfers`);
      for (const result of results) logResult(log, result);
      for (const result of results) {
        if (result.status === 'pending')
          await scheduleExpiry(dependencies, result.transfer_id, request_id, log);
      }
      log.info(
        { batch_id, transfers: results.length, changed: results.filter((result) => result.changed).length },
        'batch advanced',
      );
      return summarize(results);
    }
    default:
      throw new UnrecoverableError(`the ledger queue has no job named ${JSON.stringify(job.name)}`);
  }
}

/**
 * Advances one transfer (with whatever else is being advanced meanwhile) and schedules the expiry of a
 * hold it made pending; `log` carries the transfer's request id. A transfer that does not exist can never
 * succeed: the job fails without retries.
 */
async function advanceOne(
  dependencies: LedgerJobDependencies,
  transfer_id: string,
  request_id: string,
  log: Logger,
): Promise<AdvanceResult> {
  const result = await dependencies.batcher.submit(transfer_id);
  logResult(log, result);
  if (result.status === 'not_found') throw new UnrecoverableError(`transfer ${transfer_id} does not exist`);
  // Also on a redelivery that finds the hold already pending: the first delivery may have died
  // before scheduling, and scheduling again is a no-op.
  if (result.status === 'pending') await scheduleExpiry(dependencies, transfer_id, request_id, log);
  return result;
}

async function processHoldExpiryJob(
  dependencies: LedgerJobDependencies,
  job: Job,
  log: Logger,
): Promise<string> {
  if (job.name !== 'expire-hold')
    throw new UnrecoverableError(`the hold-expiry queue has no job named ${JSON.stringify(job.name)}`);
  const { transfer_id } = readTransferJobData(job.data);
  // Captured, voided or already expired holds come back unchanged; one still pending because this job
  // ran a moment early is left to the sweeper.
  const result = await dependencies.batcher.submit(transfer_id);
  logResult(log, result);
  return result.status;
}

async function scheduleExpiry(
  dependencies: LedgerJobDependencies,
  transfer_id: string,
  request_id: string,
  log: Logger,
): Promise<void> {
  const hold = await findPendingHold(dependencies.db, transfer_id);
  if (!hold) return;
  await scheduleHoldExpiry(dependencies.producer, {
    transfer_id,
    request_id,
    hold_expires_at: hold.hold_expires_at,
  });
  log.info({ transfer_id, hold_expires_at: hold.hold_expires_at.toISOString() }, 'hold expiry scheduled');
}

function logResult(log: Logger, result: AdvanceResult): void {
  log.info(
    {
      transfer_id: result.transfer_id,
      status: result.status,
      status_reason: result.status_reason,
      changed: result.changed,
    },
    result.changed ? 'transfer advanced' : 'transfer unchanged',
  );
}

function summarize(results: readonly AdvanceResult[]): string {
  return [...new Set(results.map((result) => result.status))].sort().join(',');
}
