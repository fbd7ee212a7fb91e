import type { DefaultJobOptions } from 'bullmq';
import type { QueueName } from './jobs';

const HOUR_S = 60 * 60;
const DAY_S = 24 * HOUR_S;

/**
 * Job options of every queue, stated here instead of trusting BullMQ's defaults (one attempt, keep every
 * job forever).
 *
 * - Attempts are bounded, with exponential backoff and jitter so that a fleet of workers retrying after
 *   a database blip does not retry in lockstep. 12 attempts from 1 s cover about an hour of outage.
 * - Completed jobs are kept a day: long enough for a redelivered or re-published job with the same id
 *   to be absorbed by BullMQ's id check, bounded in count so Redis memory stays bounded.
 * - Failed jobs are kept for two weeks: they are the operators' work list (retry from the ops console).
 */
const COMMON: DefaultJobOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: DAY_S, count: 100_000 },
  removeOnFail: { age: 14 * DAY_S, count: 100_000 },
  stackTraceLimit: 10,
  sizeLimit: 4_096,
};

export const JOB_OPTIONS: Readonly<Record<QueueName, Readonly<DefaultJobOptions>>> = {
  screening: COMMON,
  ledger: COMMON,
  // A hold expiry also has the sweeper behind it, so fewer attempts are enough.
  'hold-expiry': { ...COMMON, attempts: 8 },
  sanctions: COMMON,
  // A report that failed three times (a minute apart at most) is marked failed for its requester to ask
  // again; it reads only, so retrying it is always safe.
  reports: { ...COMMON, attempts: 3, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 } },
};

/**
 * The payload limit of a set job (`screen-set`, `advance-set`): ids only still, but up to
 * TRANSFER_SET_SIZE_MAX of them, and the sets are cut to stay within it (`combineTransferJobs`).
 */
export const SET_JOB_SIZE_LIMIT = 65_536;
const SET_JOB_NAMES: ReadonlySet<string> = new Set(['screen-set', 'advance-set']);

/**
 * The options of a queue's jobs (of one job name, when given: set jobs may be larger); a queue the
 * catalog does not know gets the common options.
 */
export function jobOptionsFor(queue: string, job_name?: string): Readonly<DefaultJobOptions> {
  const options = (JOB_OPTIONS as Record<string, DefaultJobOptions>)[queue] ?? COMMON;
  return job_name !== undefined && SET_JOB_NAMES.has(job_name)
    ? { ...options, sizeLimit: SET_JOB_SIZE_LIMIT }
    : options;
}
