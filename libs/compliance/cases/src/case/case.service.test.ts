import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '@ledgerline/db';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { seedAccount, seedCustomer } from '@ledgerline/transfers/testing';
import { createCaseService } from './case.service';
import { openCasesInsert } from './open-cases';

let database: TestDatabase;
let source_account_id: string;
let destination_account_id: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const customer_id = await seedCustomer(database.pool);
  source_account_id = await seedAccount(database.pool, { customer_id });
  destination_account_id = await seedAccount(database.pool, { customer_id });
});
afterAll(() => database.drop());

const HIT = { rule: 'large_amount', detail: 'amount 12000.00 USD is at least 10000' };

/** Transfers in `received`, then held with their case by one statement, as screening does. */
async function holdTransfers(
  count: number,
  batch_id: string | null = null,
): Promise<{ case_id: string; transfer_ids: string[] }> {
  const transfer_ids = Array.from({ length: count }, () => uuidv7()).sort();
  if (batch_id !== null)
    await database.pool.query(
      `INSERT INTO transfer_batches (id, atomic, client_id) VALUES ($1, true, 'bank')`,
      [batch_id],
    );
  for (const id of transfer_ids) {
    await database.pool.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id, batch_id)
       VALUES ($1, 'transfer', $2, $3, 12000, 'USD', 'bank', $4)`,
      [id, source_account_id, destination_account_id, batch_id],
    );
  }
  const case_id = uuidv7();
  const first = transfer_ids[0] as string;
  await database.db.$executeRaw`
    WITH held AS (
      UPDATE transfers SET status = 'held' WHERE id = ANY(${transfer_ids}::uuid[]) RETURNING id)
    ${openCasesInsert([{ id: case_id, transfer_id: first, batch_id, hits: [HIT] }], Prisma.sql`SELECT id FROM held`)}`;
  return { case_id, transfer_ids };
}

async function transferState(id: string): Promise<{ status: string; status_reason: string | null }> {
  const { rows } = await database.pool.query(
    'SELECT status::text, status_reason FROM transfers WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function outboxJobsFor(
  job_id: string,
): Promise<Array<{ queue: string; job_name: string; request_id: string }>> {
  const { rows } = await database.pool.query(
    'SELECT queue, job_name, request_id FROM outbox_messages WHERE job_id = $1',
    [job_id],
  );
  return rows;
}

const cases = () => createCaseService({ db: database.db });
const decision = (case_id: string, choice: 'approve' | 'reject') => ({
  case_id,
  decision: choice,
  note: `${choice}d after a call with the customer`,
  decided_by: 'officer-1',
  request_id: `req-${choice}`,
});

describe('openCasesInsert', () => {
  it('opens a case only for a transfer the same statement held, and never twice', async () => {
    const { case_id, transfer_ids } = await holdTransfers(1);
    const transfer_id = transfer_ids[0] as string;
    // A repeat (a redelivered screening job) that holds nothing opens nothing, and a second case for
    // the same transfer is absorbed by the unique key.
    const again = await database.db.$executeRaw`
      WITH held AS (UPDATE transfers SET status = 'held' WHERE id = ${transfer_id}::uuid AND status = 'screening' RETURNING id)
      ${openCasesInsert([{ id: uuidv7(), transfer_id, batch_id: null, hits: [HIT] }], Prisma.sql`SELECT id FROM held`)}`;
    expect(again).toBe(0);
    const { rows } = await database.pool.query(
      'SELECT id::text, status::text, hits FROM compliance_cases WHERE transfer_id = $1',
      [transfer_id],
    );
    expect(rows).toEqual([{ id: case_id, status: 'open', hits: [HIT] }]);
  });
});

describe('deciding a case', () => {
  it('approves: the case records who and why, the transfer moves on and the ledger job is queued with it', async () => {
    const { case_id, transfer_ids } = await holdTransfers(1);
    const transfer_id = transfer_ids[0] as string;
    const result = await cases().decide(decision(case_id, 'approve'));
    expect(result).toEqual({
      ok: true,
      value: {
        id: case_id,
        transfer_id,
        batch_id: null,
        status: 'approved',
        hits: [HIT],
        created_at: expect.any(Date),
        decided_at: expect.any(Date),
        decided_by: 'officer-1',
        note: 'approved after a call with the customer',
      },
    });
    expect(await transferState(transfer_id)).toEqual({ status: 'approved', status_reason: null });
    expect(await outboxJobsFor(`advance-${transfer_id}`)).toEqual([
      { queue: 'ledger', job_name: 'advance', request_id: 'req-approve' },
    ]);
  });

  it('rejects: the transfer is rejected with compliance_rejected and nothing is queued', async () => {
    const { case_id, transfer_ids } = await holdTransfers(1);
    const transfer_id = transfer_ids[0] as string;
    const result = await cases().decide(decision(case_id, 'reject'));
    expect(result).toMatchObject({ ok: true, value: { status: 'rejected', decided_by: 'officer-1' } });
    expect(await transferState(transfer_id)).toEqual({
      status: 'rejected',
      status_reason: 'compliance_rejected',
    });
    expect(await outboxJobsFor(`advance-${transfer_id}`)).toEqual([]);
  });

  it('decides a whole atomic batch as one', async () => {
    const batch_id = uuidv7();
    const { case_id, transfer_ids } = await holdTransfers(3, batch_id);
    expect(await cases().decide(decision(case_id, 'approve'))).toMatchObject({
      ok: true,
      value: { batch_id },
    });
    for (const id of transfer_ids) expect((await transferState(id)).status).toBe('approved');
    expect(await outboxJobsFor(`advance-batch-${batch_id}`)).toEqual([
      { queue: 'ledger', job_name: 'advance-batch', request_id: 'req-approve' },
    ]);
  });

  it('refuses a second decision and an unknown case, changing nothing', async () => {
    const { case_id, transfer_ids } = await holdTransfers(1);
    await cases().decide(decision(case_id, 'reject'));
    expect(await cases().decide(decision(case_id, 'approve'))).toEqual({
      ok: false,
      error: 'already_decided',
      message: `Compliance case ${case_id} is already rejected.`,
    });
    expect((await transferState(transfer_ids[0] as string)).status).toBe('rejected');
    expect(await cases().decide(decision(uuidv7(), 'approve'))).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    expect(await cases().decide(decision('not-a-uuid', 'approve'))).toMatchObject({
      ok: false,
      error: 'not_found',
    });
  });

  it('lets exactly one of two officers deciding at once win', async () => {
    const { case_id, transfer_ids } = await holdTransfers(1);
    const results = await Promise.all([
      cases().decide(decision(case_id, 'approve')),
      cases().decide(decision(case_id, 'reject')),
    ]);
    const winners = results.filter((result) => result.ok);
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => !result.ok)).toEqual([
      expect.objectContaining({ error: 'already_decided' }),
    ]);
    const won = winners[0]?.ok ? winners[0].value.status : undefined;
    expect((await transferState(transfer_ids[0] as string)).status).toBe(
      won === 'approved' ? 'approved' : 'rejected',
    );
    expect(await outboxJobsFor(`advance-${transfer_ids[0]}`)).toHaveLength(won === 'approved' ? 1 : 0);
  });
});

describe('listing cases', () => {
  it('pages through one status oldest first, and through all', async () => {
    const fresh = await createTestDatabase();
    try {
      const alice = uuidv7();
      await fresh.pool.query(
        `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'test', 'US')`,
        [alice, randomBytes(16), randomBytes(16)],
      );
      const [from, to] = [uuidv7(), uuidv7()];
      await fresh.pool.query(
        `INSERT INTO accounts (id, customer_id, currency) VALUES ($1, $3, 'USD'), ($2, $3, 'USD')`,
        [from, to, alice],
      );
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const transfer_id = uuidv7();
        await fresh.pool.query(
          `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id, status)
           VALUES ($1, 'transfer', $2, $3, 12000, 'USD', 'bank', 'held')`,
          [transfer_id, from, to],
        );
        const case_id = uuidv7();
        ids.push(case_id);
        await fresh.pool.query(`INSERT INTO compliance_cases (id, transfer_id, hits) VALUES ($1, $2, $3)`, [
          case_id,
          transfer_id,
          JSON.stringify([HIT]),
        ]);
      }
      const service = createCaseService({ db: fresh.db });
      await service.decide(decision(ids[1] as string, 'reject'));
      const first = await service.list({ status: 'open', limit: 2 });
      expect(first.cases.map((item) => item.id)).toEqual([ids[0], ids[2]]);
      const second = await service.list({
        status: 'open',
        limit: 2,
        after_id: first.next_after_id ?? undefined,
      });
      expect(second).toMatchObject({ next_after_id: null });
      expect(second.cases.map((item) => item.id)).toEqual([ids[3], ids[4]]);
      expect((await service.list({ status: 'rejected', limit: 50 })).cases.map((item) => item.id)).toEqual([
        ids[1],
      ]);
      expect((await service.list({ limit: 200 })).cases.map((item) => item.id)).toEqual(ids);
    } finally {
      await fresh.drop();
    }
  });
});
