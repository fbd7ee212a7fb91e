import path from 'node:path';
import type { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@ledgerline/db/testing';
import { enqueueOutbox, jobs } from '@ledgerline/queue';
import {
  captureLogger,
  spawnApp,
  waitUntil,
  useQueueTestbed,
  expectOneLineConfigError,
} from '@ledgerline/queue/testing';
import { startOutboxRelay } from './app';
import { verifyAuditChain } from '@ledgerline/audit';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
const testbed = useQueueTestbed();
const { redis_url, prefix } = testbed;
let database: TestDatabase;
let screening: Queue;

beforeAll(async () => {
  ({ database } = testbed);
  screening = testbed.queue('screening');
});

async function acceptTransfer(request_id: string): Promise<string> {
  const transfer_id = uuidv7();
  await database.db.$transaction((tx) => enqueueOutbox(tx, jobs.screenTransfer(transfer_id, request_id)));
  return transfer_id;
}

describe('outbox-relay', () => {
  it('publishes rows as they commit, and closes cleanly', async () => {
    const { logger, lines } = captureLogger();
    const app = await startOutboxRelay({
      db: database.db,
      redis_url,
      prefix,
      batch_size_max: 100,
      poll_interval_ms: 50,
      publish_timeout_ms: 5_000,
      retention_ms: 60_000,
      cleanup_interval_ms: 60_000,
      audit_seal_interval_ms: 20,
      logger,
    });
    try {
      const transfer_id = await acceptTransfer('req-app-1');
      const job = await waitUntil(() => screening.getJob(`screen-${transfer_id}`), {
        what: 'the screening job',
      });
      expect(job.data).toEqual({ transfer_id, request_id: 'req-app-1' });
      // It also hosts the audit sealer: a new audit record joins the chain shortly after it commits.
      await database.pool.query(
        `INSERT INTO audit_records (actor, role, action, resource, request_id, outcome) VALUES ('bank', 'service', 'POST /v1/transfers', '/v1/transfers', 'req-app-1', 202)`,
      );
      await expect
        .poll(async () => (await verifyAuditChain(database.db)).records_checked, {
          timeout: 10_000,
          interval: 20,
        })
        .toBe(1);
    } finally {
      await app.close();
    }
    expect(lines.some((line) => line['msg'] === 'outbox relay stopped')).toBe(true);
    // Its first run waited for the connection to open: a healthy start warns of nothing.
    expect(lines.filter((line) => Number(line['level']) >= 40).map((line) => line['msg'])).toEqual([]);
  });

  it('main: a bad configuration prints one line and exits 1', async () => {
    await expectOneLineConfigError(
      MAIN,
      { DATABASE_URL: 'mysql://nope', REDIS_URL: redis_url },
      /^outbox-relay: Invalid configuration: DATABASE_URL /,
    );
  }, 60_000);

  it('main: runs the relay and stops cleanly on SIGTERM', async () => {
    const run = spawnApp(MAIN, {
      DATABASE_URL: database.url,
      REDIS_URL: redis_url,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
    });
    await run.waitForLine((line) => typeof line === 'object' && line['msg'] === 'outbox relay started');
    const transfer_id = await acceptTransfer('req-main-1');
    await waitUntil(() => screening.getJob(`screen-${transfer_id}`), {
      timeout_ms: 30_000,
      what: 'the screening job',
    });
    run.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(run.lines).toContainEqual(expect.objectContaining({ msg: 'stopped', service: 'outbox-relay' }));
  }, 60_000);
});
