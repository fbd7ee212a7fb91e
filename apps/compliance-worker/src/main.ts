import { runBackgroundService } from '@ledgerline/queue';
import { ComplianceWorkerConfigSchema } from './config';

runBackgroundService(
  {
    service_name: 'compliance-worker',
    config_schema: ComplianceWorkerConfigSchema,
    async start({ config, db, logger }) {
      const { startComplianceWorker } = await import('./app');
      return startComplianceWorker({
        db,
        redis_url: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.SCREENING_CONCURRENCY,
        logger,
      });
    },
  },
  process.env,
);
