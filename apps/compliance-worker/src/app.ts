import { createMicroBatcher, type BatchMetrics, type MicroBatcher } from '@ledgerline/batching';
import type { EnvelopeCipher } from '@ledgerline/crypto';
import { isRetryableTransactionError, type Database } from '@ledgerline/db';
import {
  combineTransferJobs,
  createJobProducer,
  createQueueConnections,
  createWorker,
  jobs,
  forEachTransferOfSet,
  readBatchJobData,
  readTransferJobData,
  readTransferSetJobData,
  UnrecoverableError,
  type Job,
  gatherJobAdds,
  type GatheredJobAdds,
  type JobMetrics,
  type Worker,
} from '@ledgerline/queue';
import {
  createAmlRules,
  createScreeningService,
  DEFAULT_COMPLIANCE_THRESHOLDS,
  type ComplianceThresholds,
  type ScreeningService,
  type ScreenResult,
} from '@ledgerline/screening';
import { createSanctionsScreener, latestListVersion } from '@ledgerline/sanctions';
import type { Logger } from 'pino';
import { startReportsWorker, type ReportsWorker, type ReportsWorkerSettings } from './reports-worker';
import { startSanctionsWorker, type SanctionsWorker } from './sanctions-worker';

export interface ComplianceWorkerOptions {
  /** The caller owns it and disconnects it after `close()`. */
  db: Database;
  /**
   * The client of the screening path (claim, rules, decision), where every statement is keyed by
   * transfer ids: one opened with generic plans (`plans: 'generic'`) spares Postgres planning the
   * rules' statement on every call. `db` when absent. The caller owns it, as `db`.
   */
  screening_db?: Database;
  redis_url: string;
  prefix: string;
  concurrency: number;
  /**
   * Concurrent `screen` jobs are screened together (see `screenMany`): at most this many transfers
   * per claim statement, the first waiting `linger_ms` for others, `batches_in_flight_max` at once.
   * Defaults: 100, 2 ms, 2.
   */
  batching?: { batch_size_max: number; linger_ms: number; batches_in_flight_max: number };
  logger: Logger;
  /** The AML rules' thresholds (sanctions matching scores among them); default: the contract's. */
  thresholds?: ComplianceThresholds;
  /**
   * Customers' keyring and the `sanctions` queue's concurrency. With it, one sanctions screener serves the
   * `sanctions` queue's worker, the screening rules (each party's status against the current list) and
   * the sanctions rescreening report; without it, the rules read the status stored on each customer and
   * no sanctions worker runs.
   */
  sanctions?: { cipher: EnvelopeCipher; concurrency: number };
  /**
   * The `reports` queue's worker, started beside the screening worker, with the same thresholds and
   * sanctions screener unless given others. Defaults: see {@link ReportsWorkerSettings}.
   */
  reports?: Partial<ReportsWorkerSettings>;
  /** Where the screening, sanctions and reports workers report their jobs (`createJobMetrics`); none when absent. */
  job_metrics?: JobMetrics;
  /** Where the screening batches are reported (`createBatchMetrics`); none when absent. */
  batch_metrics?: BatchMetrics;
}

export interface ComplianceWorker {
  worker: Worker;
  reports: ReportsWorker;
  /** Lets in-flight jobs finish, then closes the worker and its Redis connections. */
  close(): Promise<void>;
}

/**
 * The `screening` queue: screen the transfer (or atomic batch), then add its `ledger` job. A redelivered
 * job finds the decision made and only re-adds the ledger job, whose deterministic id makes that a no-op
 * when it is already queued.
 */
export async function startComplianceWorker(options: ComplianceWorkerOptions): Promise<ComplianceWorker> {
  const { logger } = options;
  const thresholds = options.thresholds ?? DEFAULT_COMPLIANCE_THRESHOLDS;
  const screener =
    options.sanctions === undefined
      ? undefined
      : createSanctionsScreener({
          db: options.db,
          cipher: options.sanctions.cipher,
          thresholds: thresholds.sanctions,
        });
  const screening_db = options.screening_db ?? options.db;
  const screening = createScreeningService({
    db: screening_db,
    rules: createAmlRules({
      db: screening_db,
      thresholds,
      ...(screener === undefined ? {} : { sanctions: screener }),
    }),
  });
  const connections = createQueueConnections({
    url: options.redis_url,
    connection_name: 'compliance-worker',
    logger,
  });
  const producer = createJobProducer({ connection: connections.producer, prefix: options.prefix, logger });
  // A screening batch resumes all its jobs at once; the transfers it approved go to the ledger as one
  // `advance-set` job, added in one round trip (see combineTransferJobs).
  const ledgerJobs = gatherJobAdds(producer, { combine: combineTransferJobs });
  const batching = options.batching ?? { batch_size_max: 100, linger_ms: 2, batches_in_flight_max: 2 };
  const batcher = createMicroBatcher({
    run: (transfer_ids) => screening.screenMany(transfer_ids),
    ...batching,
    // A failed batch is screened again transfer by transfer, so one bad transfer fails alone; contention
    // that outlasted its retries fails them all and the jobs' backoff retries them.
    split_after: (error) => !isRetryableTransactionError(error),
    on_split: (transfer_ids, error) =>
      logger.warn(
        { transfers: transfer_ids.length, err: error },
        'screening batch failed; screening its transfers one by one',
      ),
    on_batch: options.batch_metrics,
  });
  const worker = createWorker({
    queue: 'screening',
    connection: connections.worker,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger,
    metrics: options.job_metrics,
    process: (job, log) => processScreeningJob({ screening, batcher, ledgerJobs }, job, log),
  });
  await worker.waitUntilReady();
  const sanctionsWorker: SanctionsWorker | undefined =
    screener === undefined || options.sanctions === undefined
      ? undefined
      : await startSanctionsWorker({
          screener,
          concurrency: options.sanctions.concurrency,
          redis_url: options.redis_url,
          prefix: options.prefix,
          logger,
          job_metrics: options.job_metrics,
        });
  const reports = await startReportsWorker({
    db: options.db,
    redis_url: options.redis_url,
    prefix: options.prefix,
    logger,
    job_metrics: options.job_metrics,
    thresholds,
    sanctions:
      screener === undefined
        ? null
        : { latestListVersion: () => latestListVersion(options.db), rescreenAll: screener.rescreenAll },
    ...options.reports,
  });
  logger.info({ concurrency: options.concurrency }, 'compliance worker started');
  return {
    worker,
    reports,
    async close() {
      await Promise.all([worker.close(), reports.close(), sanctionsWorker?.close()]);
      await batcher.close();
      await ledgerJobs.close();
      await producer.close();
      await connections.quit();
      logger.info('compliance worker stopped');
    },
  };
}

interface ScreeningJobDependencies {
  screening: ScreeningService;
  /** Gathers concurrent `screen` jobs' transfers into one `screenMany`. */
  batcher: MicroBatcher<ScreenResult>;
  /** Where an approved transfer's (or batch's) ledger job is added. */
  ledgerJobs: GatheredJobAdds;
}

/** One screening job. Exported for tests that drive it without Redis in between. */
export async function processScreeningJob(
  dependencies: ScreeningJobDependencies,
  job: Job,
  log: Logger,
): Promise<string> {
  switch (job.name) {
    case 'screen': {
      const { transfer_id, request_id } = readTransferJobData(job.data);
      return screenOne(dependencies, transfer_id, request_id, log);
    }
    case 'screen-set': {
      // Each transfer as its own `screen` job would go; the batcher may screen them in different batches.
      const { transfers } = readTransferSetJobData(job.data);
      const outcomes = await forEachTransferOfSet(transfers, ({ transfer_id, request_id }) =>
        screenOne(dependencies, transfer_id, request_id, log.child({ request_id })),
      );
      return [...new Set(outcomes)].sort().join(',');
    }
    case 'screen-batch': {
      const { batch_id, request_id } = readBatchJobData(job.data);
      const result = await dependencies.screening.screenBatch(batch_id);
      log.info(
        { batch_id, outcome: result.outcome, decided_now: result.decided_now, rules: ruleNames(result) },
        'batch screened',
      );
      if (result.outcome === 'not_found') throw new UnrecoverableError(`batch ${batch_id} has no transfers`);
      if (result.outcome === 'approved')
        await dependencies.ledgerJobs.add(jobs.advanceBatch(batch_id, request_id));
      return result.outcome;
    }
    default:
      throw new UnrecoverableError(`the screening queue has no job named ${JSON.stringify(job.name)}`);
  }
}

/**
 * Screens one transfer (with whatever else is being screened meanwhile) and, once approved, hands it to
 * the ledger; `log` carries the transfer's request id. Throws what must fail or retry the job: a transfer
 * that does not exist can never succeed, one another delivery is deciding right now is read again by the
 * job's retry.
 */
async function screenOne(
  dependencies: ScreeningJobDependencies,
  transfer_id: string,
  request_id: string,
  log: Logger,
): Promise<ScreenResult['outcome']> {
  const result = await dependencies.batcher.submit(transfer_id);
  log.info(
    { transfer_id, outcome: result.outcome, decided_now: result.decided_now, rules: ruleNames(result) },
    'transfer screened',
  );
  if (result.outcome === 'not_found') throw new UnrecoverableError(`transfer ${transfer_id} does not exist`);
  if (result.outcome === 'in_progress')
    throw new Error(`transfer ${transfer_id} is being screened by another delivery`);
  if (result.outcome === 'approved')
    await dependencies.ledgerJobs.add(jobs.advanceTransfer(transfer_id, request_id));
  return result.outcome;
}

/** Only the names of the rules that matched: a hit's detail may one day quote personal data. */
function ruleNames(result: ScreenResult): string[] {
  return result.hits.map((hit) => hit.rule);
}
