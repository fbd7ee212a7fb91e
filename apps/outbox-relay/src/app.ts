import { startAuditSealer, type AuditSealer } from '@ledgerline/audit';
import type { Database } from '@ledgerline/db';
import {
  combineTransferJobs,
  createOutboxRelay,
  createProducerConnection,
  waitForReady,
  type OutboxRelay,
  type RelayMetrics,
} from '@ledgerline/queue';
import type { Logger } from 'pino';

export interface OutboxRelayAppOptions {
  /** The caller owns it and disconnects it after `close()`. */
  db: Database;
  redis_url: string;
  prefix: string;
  batch_size_max: number;
  poll_interval_ms: number;
  publish_timeout_ms: number;
  retention_ms: number;
  cleanup_interval_ms: number;
  /** The audit sealer's pause between rounds (see startAuditSealer). */
  audit_seal_interval_ms: number;
  logger: Logger;
  /** Where the relay reports what it publishes (`createRelayMetrics`); none when absent. */
  metrics?: RelayMetrics;
}

export interface OutboxRelayApp {
  relay: OutboxRelay;
  sealer: AuditSealer;
  /** Stops the relay and the sealer after their current batch and closes the Redis connection. */
  close(): Promise<void>;
}

/**
 * Wires the relay (a producer connection to Redis and the relay loop) and the
 * audit sealer: both are small background loops over the database, and every deployment runs relays.
 */

export async function startOutboxRelay(options: OutboxRelayAppOptions): Promise<OutboxRelayApp> {
  const connection = createProducerConnection({
    url: options.redis_url,
    connection_name: 'outbox-relay',
    logger: options.logger,
  });
  const relay = createOutboxRelay({
    db: options.db,
    connection,
    prefix: options.prefix,
    batch_size_max: options.batch_size_max,
    poll_interval_ms: options.poll_interval_ms,
    publish_timeout_ms: options.publish_timeout_ms,
    retention_ms: options.retention_ms,
    cleanup_interval_ms: options.cleanup_interval_ms,
    logger: options.logger,
    metrics: options.metrics,
    // The transfers of one run reach screening as one job (a job costs Redis and the worker per job).
    combine: combineTransferJobs,
  });
  // Its first run would otherwise find the connection still opening and warn that Redis is down.
  await waitForReady(connection);
  await relay.start();
  const sealer = startAuditSealer({
    db: options.db,
    interval_ms: options.audit_seal_interval_ms,
    logger: options.logger.child({ component: 'audit-sealer' }),
  });
  return {
    relay,
    sealer,
    async close() {
      await Promise.all([relay.stop(), sealer.stop()]);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
