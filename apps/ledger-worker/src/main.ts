import { createBatchMetrics } from '@ledgerline/batching';
import { createJobMetrics } from '@ledgerline/queue';
import { runBackgroundService } from '@ledgerline/service';
import { LedgerWorkerConfigSchema } from './config';

runBackgroundService(
  {
    service_name: 'ledger-worker',
    config_schema: LedgerWorkerConfigSchema,
    // Every statement here is keyed (the engine's by arrays of ids, the sweeps' by a status and a time):
    // their generic plans are the plans, and planning them on every call cost the engine's two reads
    // 0.15-0.4 ms each per batch.
    plans: 'generic',
    async start({ config, db, logger, metrics }) {
      const { startLedgerWorker } = await import('./app');
      const { createSweeperMetrics } = await import('./sweeper-metrics');
      return startLedgerWorker({
        db,
        redis_url: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.LEDGER_CONCURRENCY,
        batch_size_max: config.LEDGER_BATCH_SIZE_MAX,
        batches_in_flight_max: config.LEDGER_BATCHES_IN_FLIGHT_MAX,
        linger_ms: config.LEDGER_LINGER_MS,
        hold_expiry_concurrency: config.HOLD_EXPIRY_CONCURRENCY,
        hold_sweep_interval_ms: config.HOLD_SWEEP_INTERVAL_MS,
        hold_sweep_batch_size_max: config.HOLD_SWEEP_BATCH_SIZE_MAX,
        stuck_sweep_interval_ms: config.STUCK_SWEEP_INTERVAL_MS,
        stuck_after_ms: config.STUCK_TRANSFER_AFTER_MS,
        stuck_sweep_batch_size_max: config.STUCK_SWEEP_BATCH_SIZE_MAX,
        logger,
        job_metrics: createJobMetrics(metrics),
        sweeper_metrics: createSweeperMetrics(metrics),
        batch_metrics: createBatchMetrics(metrics)('ledger'),
      });
    },
  },
  process.env,
);
