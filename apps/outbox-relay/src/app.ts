import type { Database } from '@ledgerline/db';
import { createOutboxRelay, createProducerConnection, type OutboxRelay } from '@ledgerline/queue';
import type { Logger } from 'pino';

export interface OutboxRelayAppOptions {
  /** The caller owns it and disconnects it after `close()`. */
  db: Database;
  /** For the LISTEN connection that wakes the relay when rows commit. */
  database_url: string;
  redis_url: string;
  prefix: string;
  batch_size_max: number;
  poll_interval_ms: number;
  publish_timeout_ms: number;
  retention_ms: number;
  cleanup_interval_ms: number;
  logger: Logger;
}

export interface OutboxRelayApp {
  relay: OutboxRelay;
  /** Stops the relay after its current batch and closes its Redis connection. */
  close(): Promise<void>;
}

/** Wires the relay: a producer connection to Redis, the relay loop and its LISTEN connection. */
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
    listen_url: options.database_url,
    batch_size_max: options.batch_size_max,
    poll_interval_ms: options.poll_interval_ms,
    publish_timeout_ms: options.publish_timeout_ms,
    retention_ms: options.retention_ms,
    cleanup_interval_ms: options.cleanup_interval_ms,
    logger: options.logger,
  });
  await relay.start();
  return {
    relay,
    async close() {
      await relay.stop();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
