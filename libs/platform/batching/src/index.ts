/**
 * Grouping concurrent calls into batches:
 * - {@link createMicroBatcher}: one `run(keys)` for the keys submitted meanwhile (workers use it to
 *   post or screen many jobs' transfers with one set of statements).
 * - {@link createBatchMetrics}: the batches' sizes and durations, for a worker's `/metrics`.
 */
export {
  createMicroBatcher,
  type FinishedBatch,
  type MicroBatcher,
  type MicroBatcherOptions,
} from './micro-batcher';
export { createBatchMetrics, type BatchMetrics } from './batch-metrics';
