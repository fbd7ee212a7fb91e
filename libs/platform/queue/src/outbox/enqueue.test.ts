import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { jobs, type JobSpec } from '../jobs/jobs';
import { enqueueOutbox } from './enqueue';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
beforeEach(async () => {
  await database.pool.query('DELETE FROM outbox_messages');
});

describe('enqueueOutbox', () => {
  it('writes one row per message inside the caller transaction', async () => {
    const transfer_id = uuidv7();
    const available_at = new Date(Date.now() + 60_000);
    await database.db.$transaction(async (tx) => {
      await enqueueOutbox(tx, jobs.screenTransfer(transfer_id, 'req-1'));
      await enqueueOutbox(tx, { ...jobs.expireHold(transfer_id, 'req-1'), available_at });
    });
    const { rows } = await database.pool.query(
      'SELECT queue, job_name, job_id, payload, request_id, available_at, published_at FROM outbox_messages ORDER BY id',
    );
    expect(rows).toEqual([
      {
        queue: 'screening',
        job_name: 'screen',
        job_id: `screen-${transfer_id}`,
        payload: { transfer_id, request_id: 'req-1' },
        request_id: 'req-1',
        available_at: expect.any(Date),
        published_at: null,
      },
      {
        queue: 'hold-expiry',
        job_name: 'expire-hold',
        job_id: `expire-hold-${transfer_id}`,
        payload: { transfer_id, request_id: 'req-1' },
        request_id: 'req-1',
        available_at,
        published_at: null,
      },
    ]);
  });

  it('writes nothing when the transaction rolls back', async () => {
    await expect(
      database.db.$transaction(async (tx) => {
        await enqueueOutbox(tx, jobs.screenTransfer(uuidv7(), 'req-2'));
        throw new Error('the transfer insert failed');
      }),
    ).rejects.toThrow('the transfer insert failed');
    const { rows } = await database.pool.query('SELECT count(*)::int AS count FROM outbox_messages');
    expect(rows[0].count).toBe(0);
  });

  it('writes a large batch in order, in bounded statements', async () => {
    const messages: JobSpec[] = Array.from({ length: 2_500 }, () =>
      jobs.screenTransfer(uuidv7(), 'req-batch'),
    );
    const written = await database.db.$transaction((tx) => enqueueOutbox(tx, messages));
    expect(written).toBe(2_500);
    const { rows } = await database.pool.query('SELECT job_id FROM outbox_messages ORDER BY id');
    expect(rows.map((row) => row.job_id)).toEqual(messages.map((message) => message.job_id));
  });

  it('refuses job ids BullMQ cannot use, in the code and in the database', async () => {
    const bad = { ...jobs.screenTransfer(uuidv7(), 'req-4'), job_id: 'screen:1' };
    await expect(enqueueOutbox(database.db, bad)).rejects.toThrow(TypeError);
    await expect(
      database.pool.query(
        `INSERT INTO outbox_messages (queue, job_name, job_id, payload) VALUES ('screening', 'screen', '12345', '{}')`,
      ),
    ).rejects.toThrow(/outbox_messages_job_id_format/);
    await expect(
      database.pool.query(
        `INSERT INTO outbox_messages (queue, job_name, job_id, payload) VALUES ('Bad Queue', 'screen', 'a-1', '{}')`,
      ),
    ).rejects.toThrow(/outbox_messages_queue_format/);
  });
});
