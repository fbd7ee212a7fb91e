import { createHash } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { SET_JOB_SIZE_LIMIT } from './job-options';

/** The queues of the platform. A queue name is also part of every Redis key of that queue. */
export const QUEUE_NAMES = ['screening', 'ledger', 'hold-expiry', 'sanctions', 'reports'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The payload of every job about one transfer: ids only, never personal data. */
export interface TransferJobData {
  transfer_id: string;
  request_id: string;
}

/**
 * The payload of a job about several independent transfers (`screen-set`: those one outbox relay run
 * published; `advance-set`: those one screening batch approved): each is handled as its own `screen` or
 * `advance` job would be, they merely travel together.
 */
export interface TransferSetJobData {
  transfers: TransferJobData[];
}

/** The most transfers one set job carries: one posting batch's worth (LEDGER_BATCH_SIZE_MAX's default). */
export const TRANSFER_SET_SIZE_MAX = 256;

/** The payload of every job about an atomic batch. */
export interface BatchJobData {
  batch_id: string;
  request_id: string;
}

/** The payload of a job about one customer (screening a new customer against the sanctions list). */
export interface CustomerJobData {
  customer_id: string;
  request_id: string;
}

/** The payload of a job about one loaded sanctions list (rescreening every customer against it). */
export interface SanctionsListJobData {
  /** The list's version, a positive integer. */
  list_version: number;
  request_id: string;
}

/** The payload of a job that runs one compliance report. */
export interface ReportJobData {
  report_id: string;
  request_id: string;
}

/** Every job the platform runs, by queue and job name, with its payload. */
export interface JobCatalog {
  screening: { screen: TransferJobData; 'screen-set': TransferSetJobData; 'screen-batch': BatchJobData };
  ledger: { advance: TransferJobData; 'advance-set': TransferSetJobData; 'advance-batch': BatchJobData };
  'hold-expiry': { 'expire-hold': TransferJobData };
  sanctions: { 'screen-customer': CustomerJobData; 'rescreen-customers': SanctionsListJobData };
  reports: { 'run-report': ReportJobData };
}

export type JobName<Q extends QueueName = QueueName> = { [K in Q]: keyof JobCatalog[K] & string }[Q];

type SpecsOf<Q extends QueueName> = {
  [N in keyof JobCatalog[Q] & string]: { queue: Q; job_name: N; job_id: string; payload: JobCatalog[Q][N] };
}[keyof JobCatalog[Q] & string];

/**
 * One job, fully determined by the business event it stands for: adding the same spec twice yields one
 * BullMQ job, because its `job_id` is deterministic. Build specs with {@link jobs}.
 */
export type JobSpec<Q extends QueueName = QueueName> = { [K in Q]: SpecsOf<K> }[Q];

/** What a client asked to do with a pending hold; each action is its own ledger job. */
export type HoldActionName = 'capture' | 'void';

export const JOB_ID_LENGTH_MAX = 200;
export const REQUEST_ID_LENGTH_MAX = 128;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID (any case), as every id in a payload must be. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * BullMQ uses `:` to build its Redis keys and treats an all-digit id as one of its own counters, so a
 * custom job id must avoid both. The length matches `outbox_messages.job_id`.
 */
export function isValidJobId(job_id: string): boolean {
  return (
    job_id.length > 0 &&
    job_id.length <= JOB_ID_LENGTH_MAX &&
    !job_id.includes(':') &&
    !/^[0-9]+$/.test(job_id)
  );
}

export function assertJobId(job_id: string): string {
  if (!isValidJobId(job_id))
    throw new TypeError(`invalid job id ${JSON.stringify(job_id)}: no ':', not all digits, 1-200 characters`);
  return job_id;
}

function assertUuid(kind: string, value: string): string {
  if (!UUID.test(value)) throw new TypeError(`${kind} must be a UUID (got ${JSON.stringify(value)})`);
  return value.toLowerCase();
}

function assertListVersion(list_version: number): number {
  if (!Number.isSafeInteger(list_version) || list_version < 1)
    throw new TypeError(`list_version must be a positive integer (got ${JSON.stringify(list_version)})`);
  return list_version;
}

function assertRequestId(request_id: string): string {
  if (request_id.length === 0 || request_id.length > REQUEST_ID_LENGTH_MAX) {
    throw new TypeError(`request_id must have 1-${REQUEST_ID_LENGTH_MAX} characters`);
  }
  return request_id;
}

/** Deterministic job ids: one business event, one id, whoever adds it and however often. */
export const jobIds = {
  screenTransfer: (transfer_id: string): string =>
    assertJobId(`screen-${assertUuid('transfer_id', transfer_id)}`),
  screenBatch: (batch_id: string): string => assertJobId(`screen-batch-${assertUuid('batch_id', batch_id)}`),
  advanceTransfer: (transfer_id: string, hold_action?: HoldActionName): string =>
    assertJobId(`advance-${assertUuid('transfer_id', transfer_id)}${hold_action ? `-${hold_action}` : ''}`),
  advanceBatch: (batch_id: string): string =>
    assertJobId(`advance-batch-${assertUuid('batch_id', batch_id)}`),
  /** The same set of transfers, in any order, is the same job: its id is a digest of the sorted ids. */
  screenSet: (transfer_ids: readonly string[]): string =>
    assertJobId(`screen-set-${setDigest(transfer_ids)}`),
  /** As {@link jobIds.screenSet}. */
  advanceSet: (transfer_ids: readonly string[]): string =>
    assertJobId(`advance-set-${setDigest(transfer_ids)}`),
  expireHold: (transfer_id: string): string =>
    assertJobId(`expire-hold-${assertUuid('transfer_id', transfer_id)}`),
  screenCustomer: (customer_id: string): string =>
    assertJobId(`screen-customer-${assertUuid('customer_id', customer_id)}`),
  rescreenCustomers: (list_version: number): string =>
    assertJobId(`rescreen-customers-v${assertListVersion(list_version)}`),
  runReport: (report_id: string): string => assertJobId(`run-report-${assertUuid('report_id', report_id)}`),
};

/** 128 bits of SHA-256 over the sorted, validated ids. */
function setDigest(transfer_ids: readonly string[]): string {
  const sorted = transfer_ids.map((id) => assertUuid('transfer_id', id)).sort();
  return createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 32);
}

function setData(transfers: readonly TransferJobData[]): TransferSetJobData {
  if (transfers.length === 0 || transfers.length > TRANSFER_SET_SIZE_MAX)
    throw new RangeError(`a set job carries 1 to ${TRANSFER_SET_SIZE_MAX} transfers`);
  const data = {
    transfers: transfers.map(({ transfer_id, request_id }) => transferData(transfer_id, request_id)),
  };
  if (Buffer.byteLength(JSON.stringify(data)) > SET_JOB_SIZE_LIMIT)
    throw new RangeError(`a set job's payload is at most ${SET_JOB_SIZE_LIMIT} bytes`);
  return data;
}

/** A set job of `queue`: its payload checked, its id the digest of its transfers. */
function setJob<Q extends 'screening' | 'ledger'>(
  queue: Q,
  job_name: Q extends 'screening' ? 'screen-set' : 'advance-set',
  idOf: (transfer_ids: readonly string[]) => string,
  transfers: readonly TransferJobData[],
): JobSpec<Q> {
  const payload = setData(transfers);
  return {
    queue,
    job_name,
    job_id: idOf(payload.transfers.map(({ transfer_id }) => transfer_id)),
    payload,
  } as JobSpec<Q>;
}

/** What one transfer adds to a set job's payload, in bytes (its JSON and a comma). */
export function setEntryBytes(transfer: TransferJobData): number {
  return Buffer.byteLength(JSON.stringify(transfer)) + 1;
}

function transferData(transfer_id: string, request_id: string): TransferJobData {
  return { transfer_id: assertUuid('transfer_id', transfer_id), request_id: assertRequestId(request_id) };
}

function batchData(batch_id: string, request_id: string): BatchJobData {
  return { batch_id: assertUuid('batch_id', batch_id), request_id: assertRequestId(request_id) };
}

/** Builders for every job of the platform; they validate ids and compute the deterministic job id. */
export const jobs = {
  /** Screen one transfer (written to the outbox when the transfer is accepted). */
  screenTransfer: (transfer_id: string, request_id: string): JobSpec<'screening'> => ({
    queue: 'screening',
    job_name: 'screen',
    job_id: jobIds.screenTransfer(transfer_id),
    payload: transferData(transfer_id, request_id),
  }),
  /** Screen several independent transfers (those one relay run published), each as its `screen` job would. */
  screenSet: (transfers: readonly TransferJobData[]): JobSpec<'screening'> =>
    setJob('screening', 'screen-set', jobIds.screenSet, transfers),
  /** Screen every transfer of an atomic batch together. */
  screenBatch: (batch_id: string, request_id: string): JobSpec<'screening'> => ({
    queue: 'screening',
    job_name: 'screen-batch',
    job_id: jobIds.screenBatch(batch_id),
    payload: batchData(batch_id, request_id),
  }),
  /**
   * Advance one transfer's state machine in the ledger. Without `hold_action` it is the advance after
   * screening (`advance-<id>`); capture and void requests each get their own id (`advance-<id>-capture`).
   */
  advanceTransfer: (
    transfer_id: string,
    request_id: string,
    hold_action?: HoldActionName,
  ): JobSpec<'ledger'> => ({
    queue: 'ledger',
    job_name: 'advance',
    job_id: jobIds.advanceTransfer(transfer_id, hold_action),
    payload: transferData(transfer_id, request_id),
  }),
  /**
   * Advance several independent transfers (those one screening batch approved), each as its `advance`
   * job would, in one job: a job costs Redis and both workers the same whatever it carries.
   */
  advanceSet: (transfers: readonly TransferJobData[]): JobSpec<'ledger'> =>
    setJob('ledger', 'advance-set', jobIds.advanceSet, transfers),
  /** Post or reject every transfer of an atomic batch in one engine call. */
  advanceBatch: (batch_id: string, request_id: string): JobSpec<'ledger'> => ({
    queue: 'ledger',
    job_name: 'advance-batch',
    job_id: jobIds.advanceBatch(batch_id),
    payload: batchData(batch_id, request_id),
  }),
  /** Void a pending hold once its `hold_expires_at` has passed (unless it was captured or voided first). */
  expireHold: (transfer_id: string, request_id: string): JobSpec<'hold-expiry'> => ({
    queue: 'hold-expiry',
    job_name: 'expire-hold',
    job_id: jobIds.expireHold(transfer_id),
    payload: transferData(transfer_id, request_id),
  }),
  /** Screen a new customer against the current sanctions list (written to the outbox when it is created). */
  screenCustomer: (customer_id: string, request_id: string): JobSpec<'sanctions'> => ({
    queue: 'sanctions',
    job_name: 'screen-customer',
    job_id: jobIds.screenCustomer(customer_id),
    payload: { customer_id: assertUuid('customer_id', customer_id), request_id: assertRequestId(request_id) },
  }),
  /** Screen every customer against a newly loaded sanctions list (written to the outbox with the list). */
  rescreenCustomers: (list_version: number, request_id: string): JobSpec<'sanctions'> => ({
    queue: 'sanctions',
    job_name: 'rescreen-customers',
    job_id: jobIds.rescreenCustomers(list_version),
    payload: { list_version: assertListVersion(list_version), request_id: assertRequestId(request_id) },
  }),
  /** Run one requested compliance report (written to the outbox with the report's row). */
  runReport: (report_id: string, request_id: string): JobSpec<'reports'> => ({
    queue: 'reports',
    job_name: 'run-report',
    job_id: jobIds.runReport(report_id),
    payload: { report_id: assertUuid('report_id', report_id), request_id: assertRequestId(request_id) },
  }),
};

/**
 * Reads a transfer job's payload in a worker. A malformed payload can never succeed, so it throws
 * `UnrecoverableError` and the job fails at once instead of retrying.
 */
export function readTransferJobData(data: unknown): TransferJobData {
  const candidate = data as Partial<TransferJobData> | null;
  if (typeof candidate?.transfer_id !== 'string' || !UUID.test(candidate.transfer_id)) {
    throw new UnrecoverableError('job payload has no valid transfer_id');
  }
  return {
    transfer_id: candidate.transfer_id.toLowerCase(),
    request_id: readRequestId(candidate.request_id),
  };
}

/** Reads a `screen-set` or `advance-set` job's payload in a worker; see {@link readTransferJobData}. */
export function readTransferSetJobData(data: unknown): TransferSetJobData {
  const transfers = (data as Partial<TransferSetJobData> | null)?.transfers;
  if (!Array.isArray(transfers) || transfers.length === 0 || transfers.length > TRANSFER_SET_SIZE_MAX) {
    throw new UnrecoverableError(`job payload has no list of 1 to ${TRANSFER_SET_SIZE_MAX} transfers`);
  }
  return { transfers: transfers.map((transfer: unknown) => readTransferJobData(transfer)) };
}

/** Reads an atomic batch job's payload in a worker; see {@link readTransferJobData}. */
export function readBatchJobData(data: unknown): BatchJobData {
  const candidate = data as Partial<BatchJobData> | null;
  if (typeof candidate?.batch_id !== 'string' || !UUID.test(candidate.batch_id)) {
    throw new UnrecoverableError('job payload has no valid batch_id');
  }
  return { batch_id: candidate.batch_id.toLowerCase(), request_id: readRequestId(candidate.request_id) };
}

/** A missing request id must not make a job fail; the log line then says so. */
function readRequestId(value: unknown): string {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, REQUEST_ID_LENGTH_MAX) : 'unknown';
}

/** Reads a customer job's payload in a worker; see {@link readTransferJobData}. */
export function readCustomerJobData(data: unknown): CustomerJobData {
  const candidate = data as Partial<CustomerJobData> | null;
  if (typeof candidate?.customer_id !== 'string' || !UUID.test(candidate.customer_id)) {
    throw new UnrecoverableError('job payload has no valid customer_id');
  }
  return {
    customer_id: candidate.customer_id.toLowerCase(),
    request_id: readRequestId(candidate.request_id),
  };
}

/** Reads a sanctions list job's payload in a worker; see {@link readTransferJobData}. */
export function readSanctionsListJobData(data: unknown): SanctionsListJobData {
  const candidate = data as Partial<SanctionsListJobData> | null;
  const list_version = candidate?.list_version;
  if (typeof list_version !== 'number' || !Number.isSafeInteger(list_version) || list_version < 1) {
    throw new UnrecoverableError('job payload has no valid list_version');
  }
  return { list_version, request_id: readRequestId(candidate?.request_id) };
}

/** Reads a report job's payload in a worker; see {@link readTransferJobData}. */
export function readReportJobData(data: unknown): ReportJobData {
  const candidate = data as Partial<ReportJobData> | null;
  if (typeof candidate?.report_id !== 'string' || !UUID.test(candidate.report_id)) {
    throw new UnrecoverableError('job payload has no valid report_id');
  }
  return { report_id: candidate.report_id.toLowerCase(), request_id: readRequestId(candidate.request_id) };
}
