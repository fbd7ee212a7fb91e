import { Histogram, type Registry } from 'prom-client';
import type { FinishedBatch } from './micro-batcher';

/** Reports a micro-batcher's batches (`on_batch`). */
export type BatchMetrics = (batch: FinishedBatch) => void;

/** Powers of two up to the largest batch a batcher accepts (1,000). */
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_000];
const DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The batches of a process's micro-batchers, on `registry`, labelled with `batcher` (`ledger`,
 * `screening`, `balance`): `ledgerline_batch_keys{batcher}` (how many keys one batch carried: how well
 * the linger and the batches in flight gather under the load) and
 * `ledgerline_batch_duration_seconds{batcher,outcome}` (one engine, screening or lookup call, its splits
 * included). Returns one reporter per batcher name; call once per registry.
 */
export function createBatchMetrics(registry: Registry): (batcher: string) => BatchMetrics {
  const size = new Histogram({
    name: 'ledgerline_batch_keys',
    help: 'Keys (transfers; accounts for balance lookups) in one micro-batch.',
    labelNames: ['batcher'] as const,
    buckets: SIZE_BUCKETS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ledgerline_batch_duration_seconds',
    help: 'Time to answer every key of one micro-batch, by how it went (ok, split, failed).',
    labelNames: ['batcher', 'outcome'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  return (batcher) => (batch) => {
    size.observe({ batcher }, batch.keys);
    duration.observe({ batcher, outcome: batch.outcome }, batch.duration_s);
  };
}
