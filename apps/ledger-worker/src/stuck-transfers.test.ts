import path from 'node:path';
import type { Job } from 'bullmq';
import { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@ledgerline/db/testing';
import { checkInvariants, createPostingEngine } from '@ledgerline/ledger';
import { createLedgerFixtures, type LedgerFixtures, type TransferOptions } from '@ledgerline/ledger/testing';
import { createJobProducer, createProducerConnection, jobIds, jobs } from '@ledgerline/queue';
import {
  captureLogger,
  metricSample,
  spawnApp,
  useQueueTestbed,
  waitUntil,
  type SpawnedApp,
} from '@ledgerline/queue/testing';
import { startLedgerWorker, type LedgerWorker } from './app';
import { createStuckTransferSweeper } from './stuck-transfers';
import { createSweeperMetrics } from './sweeper-metrics';

// Screening is another app's work: it runs here as that app's own process, as in production.
const COMPLIANCE_MAIN = path.resolve(import.meta.dirname, '../../compliance-worker/src/main.ts');
const STUCK_AFTER_MS = 60_000;
const testbed = useQueueTestbed();
const { redis_url, prefix } = testbed;
const { logger, lines } = captureLogger();
const registry = new Registry();
const requeuedOf = (kind: string) =>
  metricSample(registry, 'ledgerline_stuck_transfer_jobs_requeued_total', { kind });
let database: TestDatabase;
let fixtures: LedgerFixtures;
let app: LedgerWorker | undefined;
let compliance: SpawnedApp | undefined;
let source: string;
let payee: string;

beforeAll(async () => {
  ({ database } = testbed);
  fixtures = createLedgerFixtures(database);
  source = await fixtures.fundedAccount('1000.00');
  payee = await fixtures.account();
  app = await startLedgerWorker({
    db: database.db,
    redis_url,
    prefix,
    concurrency: 16,
    batch_size_max: 64,
    linger_ms: 5,
    hold_expiry_concurrency: 2,
    hold_sweep_interval_ms: 600_000,
    hold_sweep_batch_size_max: 100,
    // Long, so that each test sweeps by hand (`sweepOnce`) and sees only its own sweep's effects.
    stuck_sweep_interval_ms: 600_000,
    stuck_after_ms: STUCK_AFTER_MS,
    stuck_sweep_batch_size_max: 100,
    logger,
    sweeper_metrics: createSweeperMetrics(registry),
  });
  compliance = spawnApp(COMPLIANCE_MAIN, {
    DATABASE_URL: database.url,
    REDIS_URL: redis_url,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    // Every transfer here leaves one account: the velocity rule is not what these tests are about.
    COMPLIANCE_VELOCITY_TRANSFERS_MAX: '1000000',
  });
  await compliance.waitForLine(
    (line) => typeof line === 'object' && line['msg'] === 'compliance worker started',
  );
});

afterAll(async () => {
  compliance?.kill('SIGTERM');
  await compliance?.exited;
  await app?.close();
});

function worker(): LedgerWorker {
  if (app === undefined) throw new Error('the ledger worker did not start');
  return app;
}

/** A transfer created and last touched two thresholds ago, as one whose job was lost long ago. */
async function stuckTransfer(options: Partial<TransferOptions> = {}): Promise<string> {
  const id = await fixtures.transfer({
    source_account_id: source,
    destination_account_id: payee,
    amount: '2.00',
    ...options,
    id: uuidv7({ msecs: Date.now() - 2 * STUCK_AFTER_MS }),
  });
  await backdate(id);
  return id;
}

async function backdate(transfer_id: string): Promise<void> {
  await database.pool.query(
    `UPDATE transfers SET created_at = now() - interval '2 minutes', updated_at = now() - interval '2 minutes'
     WHERE id = $1`,
    [transfer_id],
  );
}

/** Every job in Redis about a transfer or a batch, in the queues the sweeper adds to. */
async function jobsAbout(id: string): Promise<Job[]> {
  const found: Job[] = [];
  for (const queue of [testbed.queue('screening'), testbed.queue('ledger')]) {
    const all = await queue.getJobs(['wait', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
    found.push(...all.filter((job) => job.data?.transfer_id === id || job.data?.batch_id === id));
  }
  return found;
}

async function waitForStatus(id: string, status: string, timeout_ms = 20_000): Promise<void> {
  await waitUntil(async () => (await fixtures.readTransfer(id)).status === status, {
    timeout_ms,
    what: `transfer ${id} to be ${status}`,
  });
}

/** Exactly one debit and one credit of `amount`. */
async function expectPostedOnce(transfer_id: string, amount: string): Promise<void> {
  const entries = await fixtures.entriesOf({ transfer_id });
  expect(entries.map((entry) => [entry.direction, entry.amount])).toEqual([
    ['debit', amount],
    ['credit', amount],
  ]);
}

function requeueLines(): Array<Record<string, unknown>> {
  return lines.filter((line) => line['msg'] === 'stuck transfers re-queued');
}

describe('stuck transfer sweeper', () => {
  it('re-queues the screening of transfers left received or screening; the workers post them', async () => {
    const received = await stuckTransfer({ status: 'received' });
    // A compliance delivery that died between claiming and deciding leaves `screening` behind.
    const screening = await stuckTransfer({ status: 'screening' });
    const batch_id = await fixtures.batch({ atomic: true });
    const members = [
      await stuckTransfer({ status: 'received', batch_id }),
      await stuckTransfer({ status: 'received', batch_id }),
    ];
    for (const id of [received, screening, batch_id]) expect(await jobsAbout(id)).toEqual([]);
    const [screens, batches] = [await requeuedOf('screen'), await requeuedOf('screen-batch')];

    const sweep = await worker().stuckSweeper.sweepOnce();
    expect(sweep).toMatchObject({ jobs: 3, by_kind: { screen: 2, 'screen-batch': 1 } });
    // An operator sees the lost jobs on the worker's /metrics.
    expect(await requeuedOf('screen')).toBe(screens + 2);
    expect(await requeuedOf('screen-batch')).toBe(batches + 1);
    for (const id of [received, screening, ...members]) await waitForStatus(id, 'posted');
    for (const id of [received, screening, ...members]) await expectPostedOnce(id, '2.0000');
  }, 60_000);

  it('posts an approved transfer whose ledger job failed, under a fresh job id', async () => {
    const id = uuidv7({ msecs: Date.now() - 2 * STUCK_AFTER_MS });
    // The job ran before its transfer existed and failed for good: it stays in the failed set, where
    // BullMQ would silently ignore an add of the same id.
    const ledger = testbed.queue('ledger');
    await ledger.add(
      'advance',
      { transfer_id: id, request_id: 'req-lost' },
      { jobId: jobIds.advanceTransfer(id) },
    );
    await waitUntil(async () => (await ledger.getJobState(jobIds.advanceTransfer(id))) === 'failed');
    await fixtures.transfer({ id, source_account_id: source, destination_account_id: payee, amount: '3.00' });
    await backdate(id);
    const logged = requeueLines().length;

    expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 1, by_kind: { advance: 1 } });
    await waitForStatus(id, 'posted');
    await expectPostedOnce(id, '3.0000');
    expect(await ledger.getJobState(jobIds.advanceTransfer(id))).toBe('failed');
    expect(requeueLines().slice(logged)).toEqual([
      expect.objectContaining({
        transfers: 1,
        jobs: 1,
        advance: 1,
        screen: 0,
        component: 'stuck-transfer-sweeper',
      }),
    ]);
  });

  it('advances an atomic batch whose batch job was lost, and a hold whose capture job was lost', async () => {
    const batch_id = await fixtures.batch({ atomic: true });
    const members = [await stuckTransfer({ batch_id }), await stuckTransfer({ batch_id })];
    const hold = await stuckTransfer({
      amount: '5.00',
      hold: true,
      hold_expires_at: new Date(Date.now() + 3_600_000),
    });
    const [reserved] = await createPostingEngine({ db: database.db, batch_size_max: 1 }).advance([hold]);
    expect(reserved?.status).toBe('pending');
    await database.pool.query(
      `UPDATE transfers SET hold_action = 'capture', hold_action_amount = 4.00 WHERE id = $1`,
      [hold],
    );
    await backdate(hold);

    expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({
      jobs: 2,
      by_kind: { 'advance-batch': 1, 'hold-action': 1 },
    });
    for (const id of [...members, hold]) await waitForStatus(id, 'posted');
    for (const id of members) await expectPostedOnce(id, '2.0000');
    await expectPostedOnce(hold, '4.0000');
    expect((await fixtures.readTransfer(hold)).captured_amount).toBe('4.0000');
  });

  it('leaves held transfers and pending holds without a requested action alone, and logs nothing', async () => {
    const held = await stuckTransfer({ status: 'held' });
    const hold = await stuckTransfer({ hold: true, hold_expires_at: new Date(Date.now() + 3_600_000) });
    await createPostingEngine({ db: database.db, batch_size_max: 1 }).advance([hold]);
    await backdate(hold);
    const logged = requeueLines().length;

    expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 0 });
    expect((await fixtures.readTransfer(held)).status).toBe('held');
    expect((await fixtures.readTransfer(hold)).status).toBe('pending');
    expect(await jobsAbout(held)).toEqual([]);
    expect(await jobsAbout(hold)).toEqual([]);
    expect(requeueLines()).toHaveLength(logged);
  });

  it.each([
    { status: 'received', queue: 'screening', kind: 'screen', setOf: jobs.screenSet },
    { status: 'approved', queue: 'ledger', kind: 'advance', setOf: jobs.advanceSet },
  ] as const)(
    'leaves a $status transfer alone while a set job stamped by its last change waits, and re-queues it once none does',
    async ({ status, queue, kind, setOf }) => {
      const id = await stuckTransfer({ status });
      const { rows } = await database.pool.query<{ updated_at: Date }>(
        'SELECT updated_at FROM transfers WHERE id = $1',
        [id],
      );
      const changed_at = rows[0]!.updated_at.getTime();
      // The set job that carries it, added a moment after that change, waits out a retry's backoff.
      const set = setOf([
        { transfer_id: id, request_id: 'req-set' },
        { transfer_id: uuidv7(), request_id: 'req-other' },
      ]);
      const jobs_queue = testbed.queue(queue);
      await jobs_queue.add(set.job_name, set.payload, {
        jobId: set.job_id,
        delay: 600_000,
        timestamp: changed_at + 1_000,
      });
      expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 0, still_queued: 1 });
      expect(await jobsAbout(id)).toEqual([]);

      // The set job is lost (a failover to a lagging replica, say): the transfer is re-queued on its own.
      await (await jobs_queue.getJob(set.job_id))?.remove();
      expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 1, by_kind: { [kind]: 1 } });
      await waitForStatus(id, 'posted');
      await expectPostedOnce(id, '2.0000');
    },
  );

  it('never posts twice, however many sweepers re-queue a transfer at once', async () => {
    const payer = await fixtures.fundedAccount('20.00');
    const receiver = await fixtures.account();
    const id = await stuckTransfer({
      source_account_id: payer,
      destination_account_id: receiver,
      amount: '5.00',
    });
    // A second worker whose clock is one window ahead adds its own job id: two jobs really run.
    const connection = createProducerConnection({
      url: redis_url,
      connection_name: 'test-second-sweeper',
      logger,
    });
    const producer = createJobProducer({ connection, prefix, logger });
    const ahead = createStuckTransferSweeper({
      db: database.db,
      producer,
      interval_ms: 600_000,
      stuck_after_ms: STUCK_AFTER_MS,
      batch_size_max: 100,
      logger,
      clock: () => new Date(Date.now() + STUCK_AFTER_MS),
    });
    try {
      await Promise.all([
        worker().stuckSweeper.sweepOnce(),
        worker().stuckSweeper.sweepOnce(),
        ahead.sweepOnce(),
      ]);
      await worker().stuckSweeper.sweepOnce();
    } finally {
      await producer.close();
      await connection.quit();
    }

    await waitForStatus(id, 'posted');
    // Sweeps that looked before the first job was queued each added their own; and a re-queued job
    // that runs after the posting (a window later, say) must find nothing to do.
    const late = `${jobIds.advanceTransfer(id)}-sweep-late`;
    await testbed
      .queue('ledger')
      .add('advance', { transfer_id: id, request_id: 'req-late' }, { jobId: late });
    await waitUntil(async () => {
      const found = await jobsAbout(id);
      const states = await Promise.all(found.map((job) => job.getState()));
      return found.some((job) => job.id === late) && states.every((state) => state === 'completed');
    });
    await expectPostedOnce(id, '5.0000');
    expect(await fixtures.readAccount(payer)).toMatchObject({ posted: '15.0000', pending_debits: '0.0000' });
    expect(await fixtures.readAccount(receiver)).toMatchObject({ posted: '5.0000' });
    expect((await checkInvariants(database.db)).violations).toEqual([]);
  });

  // Last: a sweep one window ahead (above) would rightly take these for stuck.
  it('adds nothing while the job is still queued or its queue is paused, and re-queues once the operator resumes', async () => {
    const ledger = testbed.queue('ledger');
    const waiting = await stuckTransfer({ status: 'approved' });
    await ledger.pause();
    try {
      // The operator paused the ledger: the transfer waits in a queue on purpose, its job already there.
      await worker().ledger.waitUntilReady();
      await ledger.add(
        'advance',
        { transfer_id: waiting, request_id: 'req-paused' },
        { jobId: jobIds.advanceTransfer(waiting) },
      );
      const paused = await stuckTransfer({ status: 'approved' });
      expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 0, still_queued: 2 });
      expect((await jobsAbout(paused)).length).toBe(0);
      expect((await jobsAbout(waiting)).map((job) => job.id)).toEqual([jobIds.advanceTransfer(waiting)]);
      await ledger.resume();
      await waitForStatus(waiting, 'posted');
      // Its job was lost while the queue was paused: now it is re-queued, and posts once.
      expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 1, still_queued: 0 });
      await waitForStatus(paused, 'posted');
      for (const id of [waiting, paused]) await expectPostedOnce(id, '2.0000');
    } finally {
      await ledger.resume();
    }
  }, 60_000);

  it('leaves transfers younger than the threshold alone', async () => {
    const created_now = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: payee,
      amount: '1.00',
    });
    // Created long ago, but an officer approved it a moment ago.
    const touched_now = await fixtures.transfer({
      id: uuidv7({ msecs: Date.now() - 2 * STUCK_AFTER_MS }),
      source_account_id: source,
      destination_account_id: payee,
      amount: '1.00',
    });
    const logged = requeueLines().length;

    expect(await worker().stuckSweeper.sweepOnce()).toMatchObject({ jobs: 0 });
    for (const id of [created_now, touched_now]) {
      expect((await fixtures.readTransfer(id)).status).toBe('approved');
      expect(await jobsAbout(id)).toEqual([]);
    }
    expect(requeueLines()).toHaveLength(logged);
  });
});
