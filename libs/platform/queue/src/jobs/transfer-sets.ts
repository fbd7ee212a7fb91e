import { UnrecoverableError } from 'bullmq';
import { SET_JOB_SIZE_LIMIT } from './job-options';
import {
  isUuid,
  jobIds,
  jobs,
  setEntryBytes,
  TRANSFER_SET_SIZE_MAX,
  type JobSpec,
  type TransferJobData,
} from './jobs';
import type { RawJob } from './producer';

/** The set job of each per-transfer job that may travel in one. */
const SET_OF: Record<
  string,
  { plainId: (transfer_id: string) => string; set: (transfers: TransferJobData[]) => JobSpec }
> = {
  screen: { plainId: jobIds.screenTransfer, set: jobs.screenSet },
  advance: { plainId: (transfer_id) => jobIds.advanceTransfer(transfer_id), set: jobs.advanceSet },
};

/** The transfer a plain `screen-<id>` or `advance-<id>` job is about; undefined for every other job. */
function plainTransferOf(job: RawJob): TransferJobData | undefined {
  const kind = SET_OF[job.job_name];
  const payload = job.payload as Partial<TransferJobData> | null;
  if (kind === undefined || !isUuid(payload?.transfer_id)) return undefined;
  // A capture's or void's advance (`advance-<id>-capture`) keeps its own job and id.
  if (job.job_id !== kind.plainId(payload.transfer_id)) return undefined;
  return {
    transfer_id: payload.transfer_id,
    request_id: typeof payload.request_id === 'string' ? payload.request_id : 'unknown',
  };
}

/**
 * Folds the plain per-transfer jobs of one `addBulk` into set jobs: two or more `screen` jobs into
 * `screen-set` (the relay, for the transfers one run published) and two or more `advance` jobs into
 * `advance-set` (the compliance worker, for the transfers one screening batch approved), at most
 * {@link TRANSFER_SET_SIZE_MAX} transfers and `SET_JOB_SIZE_LIMIT` bytes of payload each. A job costs Redis and both workers about the same whatever
 * it carries, so a busy pipeline pays per batch instead of per transfer. A lone job stays as it is, under
 * the id the stuck-transfer sweeper looks for, and every other job passes unchanged.
 */
export function combineTransferJobs(specs: readonly RawJob[]): RawJob[] {
  const plain = new Map<string, { jobs: RawJob[]; transfers: TransferJobData[] }>();
  const combined: RawJob[] = [];
  for (const spec of specs) {
    const transfer = plainTransferOf(spec);
    if (transfer === undefined) {
      combined.push(spec);
      continue;
    }
    const group = plain.get(spec.job_name) ?? { jobs: [], transfers: [] };
    group.jobs.push(spec);
    group.transfers.push(transfer);
    plain.set(spec.job_name, group);
  }
  for (const [job_name, group] of plain) {
    if (group.jobs.length === 1) combined.push(...group.jobs);
    else for (const chunk of setsOf(group.transfers)) combined.push(SET_OF[job_name]!.set(chunk));
  }
  return combined;
}

/** `{"transfers":[]}`: a set payload's bytes around its entries. */
const SET_ENVELOPE_BYTES = 16;

/** Cuts transfers into sets of at most TRANSFER_SET_SIZE_MAX that stay within the set job's size limit. */
function* setsOf(transfers: readonly TransferJobData[]): Generator<TransferJobData[]> {
  let chunk: TransferJobData[] = [];
  let bytes = SET_ENVELOPE_BYTES;
  for (const transfer of transfers) {
    const entry = setEntryBytes(transfer);
    if (chunk.length === TRANSFER_SET_SIZE_MAX || bytes + entry > SET_JOB_SIZE_LIMIT) {
      yield chunk;
      chunk = [];
      bytes = SET_ENVELOPE_BYTES;
    }
    chunk.push(transfer);
    bytes += entry;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * A set job's work: `work` for each of its transfers, all of them started at once (they gather into the
 * worker's micro-batches as their own jobs would), and their results once every one is done. A failure
 * fails the job only after the others ran: a passing one first (the job's retry runs the set again, and
 * the transfers already handled come back unchanged: every step is a conditional update or the engine's
 * state machine), else one `UnrecoverableError` naming every transfer that can never succeed.
 */
export async function forEachTransferOfSet<R>(
  transfers: readonly TransferJobData[],
  work: (transfer: TransferJobData) => Promise<R>,
): Promise<R[]> {
  const settled = await Promise.allSettled(transfers.map((transfer) => work(transfer)));
  const failures = settled.flatMap((outcome) =>
    outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
  );
  const passing = failures.find((failure) => !(failure instanceof UnrecoverableError));
  if (passing !== undefined) throw passing;
  if (failures.length > 0)
    throw new UnrecoverableError(failures.map((failure) => (failure as Error).message).join('; '));
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<R>).value);
}
