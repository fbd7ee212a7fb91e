/**
 * Grouping concurrent calls into batches:
 * - {@link createMicroBatcher}: one `run(keys)` for the keys submitted meanwhile (workers use it to
 *   post or screen many jobs' transfers with one set of statements).
 */
export { createMicroBatcher, type MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
