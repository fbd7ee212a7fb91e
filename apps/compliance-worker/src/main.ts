import { cipherFromConfig, DEV_ENCRYPTION_KEY_ID } from '@ledgerline/crypto';
import { createBatchMetrics } from '@ledgerline/batching';
import { createJobMetrics } from '@ledgerline/queue';
import { runBackgroundService } from '@ledgerline/service';
import { complianceThresholdsFromConfig } from '@ledgerline/screening';
import { ComplianceWorkerConfigSchema } from './config';

runBackgroundService(
  {
    service_name: 'compliance-worker',
    config_schema: ComplianceWorkerConfigSchema,
    async start({ config, db, openDatabase, logger, metrics }) {
      const { startComplianceWorker } = await import('./app');
      const cipher = cipherFromConfig(config);
      if (cipher.active_key_id === DEV_ENCRYPTION_KEY_ID)
        logger.warn(
          'ENCRYPTION_KEYS is the built-in development key: customer data is NOT protected. Local development only.',
        );
      const thresholds = complianceThresholdsFromConfig(config);
      return startComplianceWorker({
        db,
        // Screening's statements are keyed by transfer ids; the reports' (on `db`) depend on their period.
        screening_db: openDatabase({ role: 'screening', plans: 'generic' }),
        redis_url: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.SCREENING_CONCURRENCY,
        batching: {
          batch_size_max: config.SCREENING_BATCH_SIZE_MAX,
          linger_ms: config.SCREENING_LINGER_MS,
          batches_in_flight_max: config.SCREENING_BATCHES_IN_FLIGHT_MAX,
        },
        thresholds,
        logger,
        job_metrics: createJobMetrics(metrics),
        batch_metrics: createBatchMetrics(metrics)('screening'),
        reports: {
          concurrency: config.REPORTS_CONCURRENCY,
          content_bytes_max: config.REPORTS_CONTENT_BYTES_MAX,
          page_size: config.REPORTS_PAGE_SIZE,
        },
        sanctions: { cipher, concurrency: config.SANCTIONS_CONCURRENCY },
      });
    },
  },
  process.env,
);
