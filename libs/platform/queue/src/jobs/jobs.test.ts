import { UnrecoverableError } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { JOB_OPTIONS, jobOptionsFor } from './job-options';
import {
  assertJobId,
  isValidJobId,
  jobIds,
  jobs,
  QUEUE_NAMES,
  readBatchJobData,
  readCustomerJobData,
  readReportJobData,
  readSanctionsListJobData,
  readTransferJobData,
  readTransferSetJobData,
  TRANSFER_SET_SIZE_MAX,
} from './jobs';

describe('job ids', () => {
  const transfer_id = uuidv7();

  it('are deterministic, and differ per business event', () => {
    expect(jobIds.screenTransfer(transfer_id)).toBe(`screen-${transfer_id}`);
    expect(jobIds.advanceTransfer(transfer_id)).toBe(`advance-${transfer_id}`);
    expect(jobIds.advanceTransfer(transfer_id, 'capture')).toBe(`advance-${transfer_id}-capture`);
    expect(jobIds.advanceTransfer(transfer_id, 'void')).toBe(`advance-${transfer_id}-void`);
    expect(jobIds.expireHold(transfer_id)).toBe(`expire-hold-${transfer_id}`);
    expect(jobIds.screenBatch(transfer_id)).toBe(`screen-batch-${transfer_id}`);
    expect(jobIds.advanceBatch(transfer_id)).toBe(`advance-batch-${transfer_id}`);
    expect(jobIds.screenTransfer(transfer_id.toUpperCase())).toBe(jobIds.screenTransfer(transfer_id));
    expect(jobIds.screenCustomer(transfer_id)).toBe(`screen-customer-${transfer_id}`);
    expect(jobIds.rescreenCustomers(7)).toBe('rescreen-customers-v7');
    expect(jobIds.runReport(transfer_id)).toBe(`run-report-${transfer_id}`);
  });

  it('never contain ":" and are never all digits', () => {
    expect(isValidJobId('screen-1')).toBe(true);
    expect(isValidJobId('123')).toBe(false);
    expect(isValidJobId('a:b')).toBe(false);
    expect(isValidJobId('')).toBe(false);
    expect(isValidJobId('x'.repeat(201))).toBe(false);
    expect(() => assertJobId('42')).toThrow(TypeError);
  });

  it('refuse ids that are not UUIDs, so nothing else can leak into a Redis key', () => {
    expect(() => jobIds.screenTransfer('abc:def')).toThrow(TypeError);
    expect(() => jobs.advanceTransfer('12345', 'r')).toThrow(TypeError);
    expect(() => jobs.screenTransfer(transfer_id, '')).toThrow(TypeError);
    expect(() => jobIds.rescreenCustomers(0)).toThrow(TypeError);
    expect(() => jobIds.rescreenCustomers(1.5)).toThrow(TypeError);
    expect(() => jobIds.runReport('report:1')).toThrow(TypeError);
  });
});

describe('job specs', () => {
  it('carry ids only, and name their queue and job', () => {
    const transfer_id = uuidv7();
    const batch_id = uuidv7();
    expect(jobs.screenTransfer(transfer_id, 'req-1')).toEqual({
      queue: 'screening',
      job_name: 'screen',
      job_id: `screen-${transfer_id}`,
      payload: { transfer_id, request_id: 'req-1' },
    });
    expect(jobs.advanceBatch(batch_id, 'req-2')).toEqual({
      queue: 'ledger',
      job_name: 'advance-batch',
      job_id: `advance-batch-${batch_id}`,
      payload: { batch_id, request_id: 'req-2' },
    });
    expect(jobs.expireHold(transfer_id, 'req-3').queue).toBe('hold-expiry');
    expect(jobs.screenCustomer(batch_id, 'req-4')).toEqual({
      queue: 'sanctions',
      job_name: 'screen-customer',
      job_id: `screen-customer-${batch_id}`,
      payload: { customer_id: batch_id, request_id: 'req-4' },
    });
    expect(jobs.rescreenCustomers(3, 'req-5')).toEqual({
      queue: 'sanctions',
      job_name: 'rescreen-customers',
      job_id: 'rescreen-customers-v3',
      payload: { list_version: 3, request_id: 'req-5' },
    });
    expect(jobs.runReport(batch_id, 'req-6')).toMatchObject({ queue: 'reports', job_name: 'run-report' });
  });
});

describe('reading payloads in a worker', () => {
  it('returns the ids of a well-formed payload', () => {
    const transfer_id = uuidv7();
    expect(readTransferJobData({ transfer_id, request_id: 'r' })).toEqual({ transfer_id, request_id: 'r' });
    expect(readBatchJobData({ batch_id: transfer_id, request_id: 'r' })).toEqual({
      batch_id: transfer_id,
      request_id: 'r',
    });
    expect(readTransferJobData({ transfer_id }).request_id).toBe('unknown');
  });

  it('fails a malformed payload without retrying (UnrecoverableError)', () => {
    expect(() => readTransferJobData({ transfer_id: 'nope' })).toThrow(UnrecoverableError);
    expect(() => readTransferJobData(null)).toThrow(UnrecoverableError);
    expect(() => readBatchJobData({ transfer_id: uuidv7() })).toThrow(UnrecoverableError);
    expect(() => readCustomerJobData({ customer_id: 'x' })).toThrow(UnrecoverableError);
    expect(() => readSanctionsListJobData({ list_version: '2' })).toThrow(UnrecoverableError);
    expect(() => readSanctionsListJobData({ list_version: 0 })).toThrow(UnrecoverableError);
    expect(() => readReportJobData({})).toThrow(UnrecoverableError);
  });

  it('reads customer, sanctions list and report payloads', () => {
    const id = uuidv7();
    expect(readCustomerJobData({ customer_id: id.toUpperCase(), request_id: 'r' })).toEqual({
      customer_id: id,
      request_id: 'r',
    });
    expect(readSanctionsListJobData({ list_version: 4, request_id: 'r' })).toEqual({
      list_version: 4,
      request_id: 'r',
    });
    expect(readReportJobData({ report_id: id })).toEqual({ report_id: id, request_id: 'unknown' });
  });
});

describe('advance-set jobs', () => {
  it('carry their transfers with their request ids, under one id for the set in any order', () => {
    const [a, b] = [uuidv7(), uuidv7()];
    const spec = jobs.advanceSet([
      { transfer_id: a, request_id: 'ra' },
      { transfer_id: b.toUpperCase(), request_id: 'rb' },
    ]);
    expect(spec).toMatchObject({
      queue: 'ledger',
      job_name: 'advance-set',
      job_id: expect.stringMatching(/^advance-set-[0-9a-f]{32}$/),
      payload: {
        transfers: [
          { transfer_id: a, request_id: 'ra' },
          { transfer_id: b, request_id: 'rb' },
        ],
      },
    });
    expect(jobIds.advanceSet([b, a])).toBe(spec.job_id);
    expect(jobIds.advanceSet([a, uuidv7()])).not.toBe(spec.job_id);
    expect(() => jobs.advanceSet([])).toThrow(RangeError);
    const many = Array.from({ length: TRANSFER_SET_SIZE_MAX + 1 }, () => ({
      transfer_id: uuidv7(),
      request_id: 'r',
    }));
    expect(() => jobs.advanceSet(many)).toThrow(RangeError);
    expect(() => jobs.advanceSet([{ transfer_id: 'x', request_id: 'r' }])).toThrow(TypeError);
  });

  it('are read back in a worker, and a malformed set fails without retrying', () => {
    const id = uuidv7();
    expect(
      readTransferSetJobData({ transfers: [{ transfer_id: id, request_id: 'r' }, { transfer_id: id }] }),
    ).toEqual({
      transfers: [
        { transfer_id: id, request_id: 'r' },
        { transfer_id: id, request_id: 'unknown' },
      ],
    });
    for (const data of [
      null,
      {},
      { transfers: [] },
      { transfers: 'x' },
      { transfers: [{ transfer_id: 'nope' }] },
    ]) {
      expect(() => readTransferSetJobData(data)).toThrow(UnrecoverableError);
    }
    const many = Array.from({ length: TRANSFER_SET_SIZE_MAX + 1 }, () => ({ transfer_id: id }));
    expect(() => readTransferSetJobData({ transfers: many })).toThrow(UnrecoverableError);
  });
});

describe('job options', () => {
  it('are explicit for every queue: bounded attempts, exponential backoff, bounded retention', () => {
    for (const queue of QUEUE_NAMES) {
      const options = JOB_OPTIONS[queue];
      expect(options.attempts).toBeGreaterThan(1);
      expect(options.attempts).toBeLessThanOrEqual(20);
      expect(options.backoff).toMatchObject({ type: 'exponential' });
      expect(options.removeOnComplete).toMatchObject({ age: expect.any(Number), count: expect.any(Number) });
      // Failed jobs stay much longer than completed ones: they are the operators' work list.
      const failed = options.removeOnFail as { age: number };
      const completed = options.removeOnComplete as { age: number };
      expect(failed.age).toBeGreaterThanOrEqual(7 * completed.age);
    }
    expect(jobOptionsFor('reports')).toMatchObject({ attempts: expect.any(Number) });
  });
});
