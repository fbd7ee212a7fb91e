import type { Database } from '@ledgerline/db';
import type { QueueAdmin, QueueSummary } from '@ledgerline/queue';
import { Gauge, type Registry } from 'prom-client';
import { readPipelineBacklog, WAITING_STATUSES, type PipelineBacklog } from './pipeline-backlog';

export interface PipelineMetricsOptions {
  registry: Registry;
  db: Database;
  queues: QueueAdmin;
  logger: { warn(object: Record<string, unknown>, message: string): void };
  /** How long one reading serves; a scrape reads each source once however many gauges it fills. */
  reading_ttl_ms?: number;
}

type Reading<T> = { ok: true; value: T } | { ok: false };

/** The queue states an operator alerts on; completed jobs are trimmed by retention and say nothing. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * The platform's backlog as Prometheus gauges on the ops API's `/metrics`, read when scraped: the queues
 * (jobs by state, paused, the wait of the oldest waiting job), the transfers waiting in each status and
 * how long the oldest has gone unchanged, and the outbox rows due that the relay has not published. A
 * source that cannot be read (Redis or Postgres down) reports `ledgerline_pipeline_source_up 0` and none
 * of its gauges, rather than failing the scrape or repeating stale figures. Every ops API replica
 * reports the same platform-wide figures: aggregate them with `max`, not `sum`.
 * docs/compliance-and-ops.md suggests alerts on them.
 */
export function registerPipelineMetrics(options: PipelineMetricsOptions): void {
  const { registry } = options;
  const ttl_ms = options.reading_ttl_ms ?? 1_000;
  const queues = cachedReading(ttl_ms, 'redis', () => options.queues.summaries(), options.logger);
  const backlog = cachedReading(ttl_ms, 'database', () => readPipelineBacklog(options.db), options.logger);

  gauge<QueueSummary[], 'queue' | 'state'>(registry, queues, {
    name: 'ledgerline_queue_jobs',
    help: 'Jobs in each queue by state (waiting includes prioritized jobs, and jobs held by a pause).',
    labelNames: ['queue', 'state'],
    fill: (set, summaries) => {
      for (const summary of summaries)
        for (const state of QUEUE_STATES) set({ queue: summary.name, state }, summary[state]);
    },
  });
  gauge<QueueSummary[], 'queue'>(registry, queues, {
    name: 'ledgerline_queue_paused',
    help: '1 while an operator has paused the queue, else 0.',
    labelNames: ['queue'],
    fill: (set, summaries) => {
      for (const summary of summaries) set({ queue: summary.name }, summary.paused ? 1 : 0);
    },
  });
  gauge<QueueSummary[], 'queue'>(registry, queues, {
    name: 'ledgerline_queue_oldest_waiting_seconds',
    help: 'How long the next job to run has been due, 0 when nothing waits.',
    labelNames: ['queue'],
    fill: (set, summaries) => {
      for (const summary of summaries) set({ queue: summary.name }, (summary.oldest_waiting_ms ?? 0) / 1000);
    },
  });
  gauge<PipelineBacklog, 'status'>(registry, backlog, {
    name: 'ledgerline_transfers_waiting',
    help: 'Transfers in each status that waits: for screening or the ledger (received, screening, approved), an officer (held) or the client (pending holds).',
    labelNames: ['status'],
    fill: (set, { transfers }) => {
      for (const status of WAITING_STATUSES) set({ status }, transfers[status].count);
    },
  });
  gauge<PipelineBacklog, 'status'>(registry, backlog, {
    name: 'ledgerline_transfers_oldest_unchanged_seconds',
    help: 'How long the transfer in this status that changed longest ago has not changed, 0 when none.',
    labelNames: ['status'],
    fill: (set, { transfers }) => {
      for (const status of WAITING_STATUSES) set({ status }, transfers[status].oldest_unchanged_seconds);
    },
  });
  gauge<PipelineBacklog, never>(registry, backlog, {
    name: 'ledgerline_outbox_due_messages',
    help: 'Outbox rows due for publishing that the relay has not published yet.',
    labelNames: [],
    fill: (set, { outbox }) => set({}, outbox.due),
  });
  gauge<PipelineBacklog, never>(registry, backlog, {
    name: 'ledgerline_outbox_oldest_due_seconds',
    help: 'How long the oldest unpublished due outbox row has been due, 0 when none.',
    labelNames: [],
    fill: (set, { outbox }) => set({}, outbox.oldest_due_seconds),
  });
  new Gauge({
    name: 'ledgerline_pipeline_source_up',
    help: '1 when the last scrape could read the source (redis: the queues; database: transfers and outbox), else 0.',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      const [redis, database] = await Promise.all([queues(), backlog()]);
      this.set({ source: 'redis' }, redis.ok ? 1 : 0);
      this.set({ source: 'database' }, database.ok ? 1 : 0);
    },
  });
}

/** A gauge filled from one source's reading at every scrape; with no reading it has no samples. */
function gauge<T, L extends string>(
  registry: Registry,
  read: () => Promise<Reading<T>>,
  spec: {
    name: string;
    help: string;
    labelNames: L[];
    fill: (set: (labels: Partial<Record<L, string>>, value: number) => void, value: T) => void;
  },
): void {
  new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    async collect() {
      const reading = await read();
      this.reset();
      if (reading.ok) spec.fill((labels, value) => this.set(labels, value), reading.value);
    },
  });
}

/** One reading per `ttl_ms` shared by every gauge of a scrape; a failure is logged and reported, not thrown. */
function cachedReading<T>(
  ttl_ms: number,
  source: string,
  read: () => Promise<T>,
  logger: PipelineMetricsOptions['logger'],
): () => Promise<Reading<T>> {
  let cached: { at: number; reading: Promise<Reading<T>> } | undefined;
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at >= ttl_ms) {
      cached = {
        at: now,
        reading: read().then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => {
            logger.warn({ err: error, source }, 'pipeline metrics: source could not be read');
            return { ok: false as const };
          },
        ),
      };
    }
    return cached.reading;
  };
}
