import type { Database } from '@ledgerline/db';
import {
  createWorker,
  createWorkerConnection,
  readReportJobData,
  UnrecoverableError,
  type Job,
  type JobMetrics,
  type Worker,
} from '@ledgerline/queue';
import { createReportRunner, type ReportRunner, type SanctionsRescreen } from '@ledgerline/reports';
import { DEFAULT_COMPLIANCE_THRESHOLDS, type ComplianceThresholds } from '@ledgerline/screening';
import type { Logger } from 'pino';

/** How the compliance worker runs reports; every field has a default. */
export interface ReportsWorkerSettings {
  /** Reports run at once by one process: 1 or 2 (each holds one database connection at a time). Default 1. */
  concurrency: number;
  /** Default: the contract's defaults. */
  thresholds: ComplianceThresholds;
  /** The sanctions library's rescreening; without it `sanctions_rescreen` reports fail as unavailable. Default none. */
  sanctions: SanctionsRescreen | null;
  /** A report whose CSV would be larger fails instead. Default 16 MiB, at most 64 MiB. */
  content_bytes_max?: number;
  /** Customers per range and rows per query. Default 500 customers, 1,000 rows. */
  page_size?: number;
}

export interface ReportsWorkerOptions extends Partial<ReportsWorkerSettings> {
  /** The caller owns it and disconnects it after `close()`. */
  db: Database;
  redis_url: string;
  prefix: string;
  logger: Logger;
  /** Where its workers report their jobs (`createJobMetrics`); none when absent. */
  job_metrics?: JobMetrics;
}

export interface ReportsWorker {
  worker: Worker;
  /** Lets the running reports finish, then closes the worker and its Redis connection. */
  close(): Promise<void>;
}

const CONCURRENCY_MAX = 2;

/**
 * The `reports` queue: run one compliance report per `run-report` job. Reports only read, so a job that
 * is redelivered (its worker died) runs the report again from the start; one that finds the report
 * completed changes nothing. After the job's last attempt the report is marked failed with a safe
 * sentence for its requester; jobs that fail outside the processor (stalled too often) are marked by the
 * `failed` listener.
 */
export async function startReportsWorker(options: ReportsWorkerOptions): Promise<ReportsWorker> {
  const { logger } = options;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > CONCURRENCY_MAX)
    throw new RangeError(`reports concurrency must be 1 or ${CONCURRENCY_MAX}`);
  const runner = createReportRunner({
    db: options.db,
    thresholds: options.thresholds ?? DEFAULT_COMPLIANCE_THRESHOLDS,
    sanctions: options.sanctions ?? null,
    ...(options.content_bytes_max === undefined ? {} : { content_bytes_max: options.content_bytes_max }),
    ...(options.page_size === undefined
      ? {}
      : { customers_page_size: options.page_size, rows_page_size: options.page_size }),
  });
  const connection = createWorkerConnection({
    url: options.redis_url,
    connection_name: 'compliance-worker-reports',
    logger,
  });
  const worker = createWorker({
    queue: 'reports',
    connection,
    prefix: options.prefix,
    concurrency,
    logger,
    metrics: options.job_metrics,
    process: (job, log) => processReportJob(runner, job, log),
  });
  worker.on('failed', (job: Job | undefined, error: Error) => {
    if (job === undefined) return;
    markFailedIfFinal(runner, job, error).catch((markError: unknown) =>
      logger.error({ err: markError, job_id: job.id }, 'could not mark the report of a failed job failed'),
    );
  });
  await worker.waitUntilReady();
  logger.info(
    { concurrency, sanctions_rescreen: options.sanctions ? 'configured' : 'unavailable' },
    'reports worker started',
  );
  return {
    worker,
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
      logger.info('reports worker stopped');
    },
  };
}

/** One `run-report` job. Exported for tests that drive it without Redis in between. */
export async function processReportJob(runner: ReportRunner, job: Job, log: Logger): Promise<string> {
  if (job.name !== 'run-report')
    throw new UnrecoverableError(`the reports queue has no job named ${JSON.stringify(job.name)}`);
  const { report_id } = readReportJobData(job.data);
  try {
    const result = await runner.run(report_id);
    switch (result.outcome) {
      case 'completed':
        log.info(
          { report_id, type: result.type, rows: result.rows, content_bytes: result.content_bytes },
          'report completed',
        );
        return result.outcome;
      case 'already_completed':
        log.info({ report_id }, 'report already completed; nothing to do');
        return result.outcome;
      case 'failed':
        // Marked failed already; the job fails too, so operators see it (a retry may pass after a change).
        throw new UnrecoverableError(`report ${report_id} failed: ${result.reason}: ${result.message}`);
      case 'not_found':
        throw new UnrecoverableError(`report ${report_id} does not exist`);
    }
  } catch (error) {
    // Marked before the job is recorded failed, so a client never sees a report running whose job is gone.
    if (!(error instanceof UnrecoverableError) && isLastAttempt(job))
      await runner.markFailed(report_id, 'internal', error instanceof Error ? error.message : String(error));
    throw error;
  }
}

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Marks the report of a job that failed for good (a stall-out never reaches the processor's catch). */
async function markFailedIfFinal(runner: ReportRunner, job: Job, error: Error): Promise<void> {
  if ((await job.getState()) !== 'failed') return;
  let report_id: string;
  try {
    report_id = readReportJobData(job.data).report_id;
  } catch {
    return;
  }
  await runner.markFailed(report_id, 'internal', error.message);
}
