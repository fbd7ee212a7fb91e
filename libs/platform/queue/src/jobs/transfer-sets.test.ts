import { UnrecoverableError } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { SET_JOB_SIZE_LIMIT } from './job-options';
import { jobs, TRANSFER_SET_SIZE_MAX, type TransferJobData } from './jobs';
import type { RawJob } from './producer';
import { combineTransferJobs, forEachTransferOfSet } from './transfer-sets';

const transfersOf = (job: RawJob) => (job.payload as { transfers: TransferJobData[] }).transfers;

describe('combineTransferJobs', () => {
  it('folds the plain screens and advances of one add into set jobs, and passes every other job as it is', () => {
    const screened = Array.from({ length: 3 }, () => uuidv7());
    const advanced = Array.from({ length: TRANSFER_SET_SIZE_MAX + 2 }, () => uuidv7());
    const others = [
      jobs.advanceTransfer(uuidv7(), 'capture-request', 'capture'),
      jobs.advanceBatch(uuidv7(), 'batch-request'),
      jobs.screenBatch(uuidv7(), 'batch-request'),
      jobs.expireHold(uuidv7(), 'hold-request'),
    ];
    const combined = combineTransferJobs([
      ...screened.map((id) => jobs.screenTransfer(id, `request-${id}`)),
      ...others,
      ...advanced.map((id) => jobs.advanceTransfer(id, `request-${id}`)),
    ]);
    expect(combined.slice(0, others.length)).toEqual(others);
    const sets = combined.slice(others.length);
    expect(sets.map((job) => [job.queue, job.job_name])).toEqual([
      ['screening', 'screen-set'],
      ['ledger', 'advance-set'],
      ['ledger', 'advance-set'],
    ]);
    expect(transfersOf(sets[0]!)).toEqual(
      screened.map((id) => ({ transfer_id: id, request_id: `request-${id}` })),
    );
    expect([...transfersOf(sets[1]!), ...transfersOf(sets[2]!)]).toEqual(
      advanced.map((id) => ({ transfer_id: id, request_id: `request-${id}` })),
    );
    expect(transfersOf(sets[1]!)).toHaveLength(TRANSFER_SET_SIZE_MAX);
  });

  it('cuts sets to the set job size limit', () => {
    // Request ids of the longest allowed length, all escaped in JSON: the largest a transfer's entry gets.
    const request_id = '\u0001'.repeat(128);
    const transfers = Array.from({ length: TRANSFER_SET_SIZE_MAX }, () => ({
      transfer_id: uuidv7(),
      request_id,
    }));
    const sets = combineTransferJobs(
      transfers.map(({ transfer_id }) => jobs.advanceTransfer(transfer_id, request_id)),
    );
    expect(sets.length).toBeGreaterThan(1);
    for (const set of sets)
      expect(Buffer.byteLength(JSON.stringify(set.payload))).toBeLessThanOrEqual(SET_JOB_SIZE_LIMIT);
    expect(sets.flatMap(transfersOf)).toEqual(transfers);
    expect(() => jobs.advanceSet(transfers)).toThrow(RangeError);
  });

  it('leaves a lone job as it is, under the id the stuck-transfer sweeper looks for', () => {
    const screen = jobs.screenTransfer(uuidv7(), 'r');
    const advance = jobs.advanceTransfer(uuidv7(), 'r');
    expect(combineTransferJobs([screen, advance])).toEqual([screen, advance]);
    // An outbox row's job that only looks like one (another id) is not folded either.
    const odd = { ...jobs.screenTransfer(uuidv7(), 'r'), job_id: 'screen-something-else' };
    expect(combineTransferJobs([odd, screen])).toEqual([odd, screen]);
  });

  it('gives the same set the same id, so a relay run repeated after a crash adds it once', () => {
    const ids = [uuidv7(), uuidv7()];
    const first = combineTransferJobs(ids.map((id) => jobs.screenTransfer(id, 'r')));
    const again = combineTransferJobs([...ids].reverse().map((id) => jobs.screenTransfer(id, 'r')));
    expect(again.map((job) => job.job_id)).toEqual(first.map((job) => job.job_id));
  });
});

describe('forEachTransferOfSet', () => {
  const transfers = [uuidv7(), uuidv7(), uuidv7()].map((transfer_id) => ({ transfer_id, request_id: 'r' }));

  it('runs the work for every transfer and answers their results in order', async () => {
    const results = await forEachTransferOfSet(transfers, async ({ transfer_id }) => transfer_id.slice(0, 8));
    expect(results).toEqual(transfers.map(({ transfer_id }) => transfer_id.slice(0, 8)));
  });

  it('fails only after every transfer ran: a passing failure first, else one naming each transfer that cannot succeed', async () => {
    const ran: string[] = [];
    const [first, second, third] = transfers.map(({ transfer_id }) => transfer_id);
    const passing = forEachTransferOfSet(transfers, async ({ transfer_id }) => {
      ran.push(transfer_id);
      if (transfer_id === first) throw new UnrecoverableError(`transfer ${transfer_id} does not exist`);
      if (transfer_id === second) throw new Error('the database is restarting');
      return transfer_id;
    });
    await expect(passing).rejects.toThrow('the database is restarting');
    expect(ran).toEqual([first, second, third]);

    const failing = forEachTransferOfSet(transfers, async ({ transfer_id }) => {
      if (transfer_id !== second) throw new UnrecoverableError(`transfer ${transfer_id} does not exist`);
      return transfer_id;
    });
    await expect(failing).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failing).rejects.toThrow(
      `transfer ${first} does not exist; transfer ${third} does not exist`,
    );
  });
});
