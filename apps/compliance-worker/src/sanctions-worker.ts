import {
  createWorker,
  createWorkerConnection,
  readCustomerJobData,
  readSanctionsListJobData,
  UnrecoverableError,
  type Job,
  type JobMetrics,
  type Worker,
} from '@ledgerline/queue';
import { UnknownListVersionError, type SanctionsScreener } from '@ledgerline/sanctions';
import type { Logger } from 'pino';

export interface SanctionsWorkerOptions {
  /** The compliance worker's screener, shared with the screening rules and the reports. */
  screener: SanctionsScreener;
  /** Sanctions jobs at once; a rescreening holds one database connection at a time. */
  concurrency: number;
  redis_url: string;
  prefix: string;
  logger: Logger;
  /** Where its workers report their jobs (`createJobMetrics`); none when absent. */
  job_metrics?: JobMetrics;
}

export interface SanctionsWorker {
  worker: Worker;
  /** Lets in-flight jobs finish (a rescreening finishes its page), then closes the worker and its connection. */
  close(): Promise<void>;
}

/**
 * The `sanctions` queue: `screen-customer` screens a new customer against the current list,
 * `rescreen-customers` brings every customer up to a newly loaded list. Both are safe to run again:
 * the screener records each customer once per list version (a conditional update), and a rescreening
 * that died picks up the customers still behind.
 */
export async function startSanctionsWorker(options: SanctionsWorkerOptions): Promise<SanctionsWorker> {
  const { logger, screener } = options;
  const connection = createWorkerConnection({
    url: options.redis_url,
    connection_name: 'compliance-worker-sanctions',
    logger,
  });
  const worker = createWorker({
    queue: 'sanctions',
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger,
    metrics: options.job_metrics,
    process: (job, log) => processSanctionsJob(screener, job, log),
  });
  await worker.waitUntilReady();
  logger.info({ concurrency: options.concurrency }, 'sanctions worker started');
  return {
    worker,
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
      logger.info('sanctions worker stopped');
    },
  };
}

/** One sanctions job. Exported for tests that drive it without Redis in between. */
export async function processSanctionsJob(
  screener: SanctionsScreener,
  job: Job,
  log: Logger,
): Promise<unknown> {
  switch (job.name) {
    case 'screen-customer': {
      const { customer_id } = readCustomerJobData(job.data);
      const screening = (await screener.screenCustomers([customer_id])).get(customer_id);
      if (screening === undefined) throw new UnrecoverableError(`customer ${customer_id} does not exist`);
      // The status and the public entry only: never the customer's name.
      log.info(
        {
          customer_id,
          status: screening.status,
          list_version: screening.list_version,
          ent_num: screening.match?.ent_num ?? null,
        },
        screening.list_version === null
          ? 'no sanctions list loaded yet; the first list rescreens the customer'
          : 'customer screened',
      );
      return screening.status;
    }
    case 'rescreen-customers': {
      const { list_version } = readSanctionsListJobData(job.data);
      try {
        const counts = await screener.rescreenAll(list_version, {
          on_progress: (screened, total) => job.updateProgress({ screened, total }),
        });
        log.info({ list_version, ...counts }, 'customers rescreened');
        return counts;
      } catch (error) {
        if (error instanceof UnknownListVersionError) throw new UnrecoverableError(error.message);
        throw error;
      }
    }
    default:
      throw new UnrecoverableError(`the sanctions queue has no job named ${JSON.stringify(job.name)}`);
  }
}
