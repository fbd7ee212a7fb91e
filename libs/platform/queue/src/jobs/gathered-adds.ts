import assert from 'node:assert/strict';
import { createMicroBatcher } from '@ledgerline/batching';
import type { JobSpec } from './jobs';
import type { JobProducer, RawJob } from './producer';

export interface GatheredJobAdds {
  /** Adds one job together with those added meanwhile; resolves once Redis holds it. */
  add(spec: JobSpec): Promise<void>;
  /** Adds what is waiting and waits for it; later adds are refused. */
  close(): Promise<void>;
}

/** Most jobs in one `addBulk`. */
const JOBS_PER_ADD_BULK_MAX = 500;

export interface GatheredJobAddsOptions {
  /**
   * How long the first job waits for others (default 0: the jobs added in the same turn of the event
   * loop, which is how a batch's callers resume when their batch settles).
   */
  linger_ms?: number;
  /**
   * Rewrites the jobs of one `addBulk` before they go (e.g. `combineTransferJobs`); as they are when
   * absent. Every caller's job must still be done by what is added.
   */
  combine?: (specs: readonly RawJob[]) => RawJob[];
}

/**
 * Gathers the jobs that concurrent callers add into one `addBulk`: a screening batch that approves
 * fifty transfers resumes fifty jobs at once, and their fifty ledger jobs go to Redis in one round trip
 * instead of fifty.
 *
 * Each caller still waits for its own job to be in Redis, so the job that adds it completes only once
 * the next one exists. A failed `addBulk` fails every caller alike (the failure is Redis's, not a job's):
 * each job's retry adds again, and adding a job whose deterministic id is already queued is a no-op, so
 * nothing is lost or queued twice. The same job added twice while waiting goes to Redis once.
 */
export function gatherJobAdds(producer: JobProducer, options: GatheredJobAddsOptions = {}): GatheredJobAdds {
  const waiting = new Map<string, JobSpec>();
  const batcher = createMicroBatcher<void>({
    async run(keys) {
      const specs = keys.map((key) => {
        const spec = waiting.get(key);
        assert.ok(spec !== undefined, `no job waits under ${key}`);
        waiting.delete(key);
        return spec;
      });
      await producer.addBulk(options.combine === undefined ? specs : options.combine(specs));
      return keys.map(() => undefined);
    },
    batch_size_max: JOBS_PER_ADD_BULK_MAX,
    linger_ms: options.linger_ms ?? 0,
    split_after: () => false,
  });
  return {
    add(spec) {
      const key = `${spec.queue}/${spec.job_id}`;
      waiting.set(key, spec);
      return batcher.submit(key);
    },
    close: () => batcher.close(),
  };
}
