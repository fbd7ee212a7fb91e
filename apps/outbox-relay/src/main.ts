import { createRelayMetrics } from '@ledgerline/queue';
import { runBackgroundService } from '@ledgerline/service';
import { OutboxRelayConfigSchema } from './config';

runBackgroundService(
  {
    service_name: 'outbox-relay',
    config_schema: OutboxRelayConfigSchema,
    async start({ config, db, logger, metrics }) {
      const { startOutboxRelay } = await import('./app');
      return startOutboxRelay({
        db,
        redis_url: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        batch_size_max: config.OUTBOX_BATCH_SIZE_MAX,
        poll_interval_ms: config.OUTBOX_POLL_INTERVAL_MS,
        publish_timeout_ms: config.OUTBOX_PUBLISH_TIMEOUT_MS,
        retention_ms: config.OUTBOX_RETENTION_HOURS * 60 * 60 * 1_000,
        cleanup_interval_ms: config.OUTBOX_CLEANUP_INTERVAL_MS,
        audit_seal_interval_ms: config.AUDIT_SEAL_INTERVAL_MS,
        logger,
        metrics: createRelayMetrics(metrics),
      });
    },
  },
  process.env,
);
