import { Counter, Histogram, type Registry } from 'prom-client';

/** One published outbox row, as the relay's metrics see it. */
export interface PublishedRow {
  queue: string;
  /** Seconds from the row being due (its `available_at`) to its publication, by the database's clock. */
  due_for_s: number;
}

/** What an outbox relay reports (`createOutboxRelay`'s `metrics`). Per process: sum over replicas. */
export interface RelayMetrics {
  /** Rows whose publication committed. */
  published(rows: readonly PublishedRow[]): void;
  /** A run that failed (Redis or the database); its rows stay unpublished for the next one. */
  runFailed(): void;
  /** Rows whose job the queue refused for what it is (tried again a minute later, the rest went on). */
  refused(rows: ReadonlyArray<{ queue: string }>): void;
}

/** From a poll interval (tens of milliseconds) to a relay cut off from Redis for minutes. */
const DELAY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The relay's metrics, registered on `registry` (the one its operations port serves):
 *
 * - `ledgerline_outbox_published_total{queue}`: rows published, by the queue they went to;
 * - `ledgerline_outbox_publish_delay_seconds{queue}`: from a row being due to its publication, the
 *   relay's share of every transfer's accept-to-posted time;
 * - `ledgerline_outbox_relay_failed_runs_total`: runs that failed and were retried with backoff;
 * - `ledgerline_outbox_refused_total{queue}`: rows whose job the queue refused (a bug to look into: every
 *   job is built to pass), each tried again a minute later while the rows behind it go on.
 *
 * ops-api's `ledgerline_outbox_due_messages` shows what waits; these show what got through. One per registry.
 */
export function createRelayMetrics(registry: Registry): RelayMetrics {
  const published = new Counter({
    name: 'ledgerline_outbox_published_total',
    help: 'Outbox rows published to their queue by this relay.',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const delay = new Histogram({
    name: 'ledgerline_outbox_publish_delay_seconds',
    help: 'Time from an outbox row being due to its publication.',
    labelNames: ['queue'] as const,
    buckets: DELAY_BUCKETS_S,
    registers: [registry],
  });
  const failedRuns = new Counter({
    name: 'ledgerline_outbox_relay_failed_runs_total',
    help: 'Relay runs that failed; their rows stay unpublished until a later run.',
    registers: [registry],
  });
  const refusedRows = new Counter({
    name: 'ledgerline_outbox_refused_total',
    help: 'Outbox rows whose job the queue refused (BullMQ checks such as the size limit); each is tried again later.',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  return {
    refused(rows) {
      for (const row of rows) refusedRows.inc({ queue: row.queue });
    },
    published(rows) {
      for (const row of rows) {
        published.inc({ queue: row.queue });
        delay.observe({ queue: row.queue }, Math.max(0, row.due_for_s));
      }
    },
    runFailed() {
      failedRuns.inc();
    },
  };
}
