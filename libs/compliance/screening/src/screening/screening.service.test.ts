import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { seedAccount, seedCustomer } from '@ledgerline/transfers/testing';
import {
  combineDecisions,
  type ScreenedTransfer,
  type ScreeningDecision,
  type ScreeningRules,
} from './screening.rules';
import { createScreeningService } from './screening.service';

let database: TestDatabase;
let source_account_id: string;
let destination_account_id: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const customer_id = await seedCustomer(database.pool);
  source_account_id = await seedAccount(database.pool, { customer_id, posted_credits: '1000' });
  destination_account_id = await seedAccount(database.pool, { customer_id });
});
afterAll(() => database.drop());

async function insertTransfer(
  options: { status?: string; amount?: string; batch_id?: string } = {},
): Promise<string> {
  const id = uuidv7();
  await database.pool.query(
    `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, batch_id, client_id,
       posted_at)
     VALUES ($1, 'transfer', $2, $3, $4::numeric, 'USD', $5::transfer_status, $6, 'test-client',
       CASE WHEN $5 = 'posted' THEN now() END)`,
    [
      id,
      source_account_id,
      destination_account_id,
      options.amount ?? '10.00',
      options.status ?? 'received',
      options.batch_id ?? null,
    ],
  );
  return id;
}

async function insertBatch(size: number): Promise<{ batch_id: string; transfer_ids: string[] }> {
  const batch_id = uuidv7();
  await database.pool.query(
    `INSERT INTO transfer_batches (id, atomic, client_id) VALUES ($1, true, 'test-client')`,
    [batch_id],
  );
  const transfer_ids: string[] = [];
  for (let index = 0; index < size; index += 1)
    transfer_ids.push(await insertTransfer({ batch_id, amount: `${index + 1}.00` }));
  return { batch_id, transfer_ids };
}

async function statusOf(
  transfer_id: string,
): Promise<{ status: string; status_reason: string | null; updated_at: Date }> {
  const { rows } = await database.pool.query(
    'SELECT status::text, status_reason, updated_at FROM transfers WHERE id = $1',
    [transfer_id],
  );
  return rows[0];
}

async function casesOf(
  transfer_id: string,
): Promise<Array<{ status: string; batch_id: string | null; hits: unknown }>> {
  const { rows } = await database.pool.query(
    'SELECT status::text, batch_id::text, hits FROM compliance_cases WHERE transfer_id = $1',
    [transfer_id],
  );
  return rows;
}

/** Most tests here are about the service's state machine, not the rules: they approve everything. */
const approveAll: ScreeningRules = {
  evaluate: async (transfers) => transfers.map(() => ({ decision: 'approve' })),
};

function rulesDeciding(
  decide: (transfer: ScreenedTransfer) => ScreeningDecision,
): ScreeningRules & { seen: ScreenedTransfer[] } {
  const seen: ScreenedTransfer[] = [];
  return {
    seen,
    async evaluate(transfers) {
      seen.push(...transfers);
      return transfers.map(decide);
    },
  };
}

describe('screen', () => {
  it('moves a received transfer to approved, showing the rules what they need', async () => {
    const transfer_id = await insertTransfer({ amount: '12.50' });
    const rules = rulesDeciding(() => ({ decision: 'approve' }));
    const result = await createScreeningService({ db: database.db, rules }).screen(transfer_id);
    expect(result).toEqual({ outcome: 'approved', decided_now: true, hits: [] });
    expect((await statusOf(transfer_id)).status).toBe('approved');
    expect(rules.seen).toEqual([
      {
        id: transfer_id,
        kind: 'transfer',
        source_account_id,
        destination_account_id,
        amount: '12.5000',
        currency: 'USD',
        batch_id: null,
        client_id: 'test-client',
        created_at: expect.any(Date),
      },
    ]);
  });

  it("approves an unremarkable transfer with the default rules (the contract's AML rules)", async () => {
    // Another sender, since this file sends many transfers from one account (the velocity rule would hold).
    const { rows } = await database.pool.query('SELECT customer_id FROM accounts WHERE id = $1', [
      source_account_id,
    ]);
    const sender = uuidv7();
    await database.pool.query(
      `INSERT INTO accounts (id, customer_id, currency, posted_credits) VALUES ($1, $2, 'USD', 1000)`,
      [sender, rows[0].customer_id],
    );
    const transfer_id = uuidv7();
    await database.pool.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id)
       VALUES ($1, 'transfer', $2, $3, 10, 'USD', 'test-client')`,
      [transfer_id, sender, destination_account_id],
    );
    expect((await createScreeningService({ db: database.db }).screen(transfer_id)).outcome).toBe('approved');
  });

  it('on redelivery changes nothing and reports approved again, so the ledger job is re-added', async () => {
    const transfer_id = await insertTransfer();
    const rules = rulesDeciding(() => ({ decision: 'approve' }));
    const service = createScreeningService({ db: database.db, rules });
    await service.screen(transfer_id);
    const before = await statusOf(transfer_id);
    expect(await service.screen(transfer_id)).toEqual({ outcome: 'approved', decided_now: false, hits: [] });
    expect(await statusOf(transfer_id)).toEqual(before);
    expect(rules.seen).toHaveLength(1);
  });

  it('finishes a transfer left in screening by a crashed delivery', async () => {
    const transfer_id = await insertTransfer({ status: 'screening' });
    expect(await createScreeningService({ db: database.db, rules: approveAll }).screen(transfer_id)).toEqual({
      outcome: 'approved',
      decided_now: true,
      hits: [],
    });
  });

  it('holds or rejects as the rules say, with the contract reason', async () => {
    const held = await insertTransfer({ amount: '10000.00' });
    const rejected = await insertTransfer({ amount: '20.00' });
    const rules = rulesDeciding((transfer) =>
      transfer.amount === '10000.0000'
        ? { decision: 'hold', hits: [{ rule: 'large_amount', detail: 'amount >= 10000' }] }
        : {
            decision: 'reject',
            reason: 'sanctions_match',
            hits: [{ rule: 'sanctions', detail: 'confirmed match' }],
          },
    );
    const service = createScreeningService({ db: database.db, rules });
    expect(await service.screen(held)).toEqual({
      outcome: 'held',
      decided_now: true,
      hits: [{ rule: 'large_amount', detail: 'amount >= 10000' }],
    });
    expect(await statusOf(held)).toMatchObject({ status: 'held', status_reason: null });
    expect((await service.screen(rejected)).outcome).toBe('rejected');
    expect(await statusOf(rejected)).toMatchObject({ status: 'rejected', status_reason: 'sanctions_match' });
    // Redelivered jobs leave decided transfers alone.
    expect(await service.screen(held)).toEqual({ outcome: 'held', decided_now: false, hits: [] });
    expect(rules.seen).toHaveLength(2);
    // The hold opened one case with the rules' hits; the redelivery opened no second one, and a
    // rejection opens none.
    expect(await casesOf(held)).toEqual([
      { status: 'open', batch_id: null, hits: [{ rule: 'large_amount', detail: 'amount >= 10000' }] },
    ]);
    expect(await casesOf(rejected)).toEqual([]);
  });

  it('leaves transfers the ledger already took further alone', async () => {
    const transfer_id = await insertTransfer({ status: 'posted' });
    expect((await createScreeningService({ db: database.db }).screen(transfer_id)).outcome).toBe(
      'past_screening',
    );
    expect((await statusOf(transfer_id)).status).toBe('posted');
  });

  it('reports a transfer that does not exist', async () => {
    expect((await createScreeningService({ db: database.db }).screen(uuidv7())).outcome).toBe('not_found');
  });

  it('decides once when deliveries run concurrently', async () => {
    const transfer_id = await insertTransfer();
    const rules = rulesDeciding(() => ({ decision: 'approve' }));
    const service = createScreeningService({ db: database.db, rules });
    const results = await Promise.all(Array.from({ length: 8 }, () => service.screen(transfer_id)));
    expect(results.filter((result) => result.decided_now)).toHaveLength(1);
    expect(new Set(results.map((result) => result.outcome))).toEqual(new Set(['approved']));
  });
});

describe('screenMany', () => {
  it('screens many transfers with one claim and one decision, each on its own, answering in order', async () => {
    const approved = await insertTransfer({ amount: '1.00' });
    const held = await insertTransfer({ amount: '10000.00' });
    const crashed = await insertTransfer({ status: 'screening' });
    const posted = await insertTransfer({ status: 'posted' });
    const unknown = uuidv7();
    const rules = rulesDeciding((transfer) =>
      transfer.amount === '10000.0000'
        ? { decision: 'hold', hits: [{ rule: 'large_amount', detail: 'amount >= 10000' }] }
        : { decision: 'approve' },
    );
    const service = createScreeningService({ db: database.db, rules });
    const results = await service.screenMany([
      approved,
      held,
      unknown,
      crashed,
      posted,
      approved.toUpperCase(),
    ]);
    expect(results).toEqual([
      { outcome: 'approved', decided_now: true, hits: [] },
      { outcome: 'held', decided_now: true, hits: [{ rule: 'large_amount', detail: 'amount >= 10000' }] },
      { outcome: 'not_found', decided_now: false, hits: [] },
      { outcome: 'approved', decided_now: true, hits: [] },
      { outcome: 'past_screening', decided_now: false, hits: [] },
      { outcome: 'approved', decided_now: true, hits: [] },
    ]);
    expect(rules.seen.map((transfer) => transfer.id).sort()).toEqual([approved, held, crashed].sort());
    expect((await statusOf(approved)).status).toBe('approved');
    expect((await statusOf(held)).status).toBe('held');
    expect((await statusOf(crashed)).status).toBe('approved');
    expect((await statusOf(posted)).status).toBe('posted');
    // A redelivery of the same transfers decides nothing again.
    const again = await service.screenMany([approved, held]);
    expect(again.map((result) => [result.outcome, result.decided_now])).toEqual([
      ['approved', false],
      ['held', false],
    ]);
    expect(rules.seen).toHaveLength(3);
  });

  it('lets overlapping concurrent batches decide each transfer once', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => insertTransfer()));
    const service = createScreeningService({ db: database.db, rules: approveAll });
    const [first, second] = await Promise.all([
      service.screenMany(ids.slice(0, 4)),
      service.screenMany(ids.slice(2)),
    ]);
    // The overlap (ids 2 and 3) is decided by one of them; the other answers what was decided, or
    // `in_progress` when it met the decision half made (its job retries). Nothing is left undecided.
    for (const [index, id] of ids.entries()) {
      const answers = [
        index < 4 ? first?.[index] : undefined,
        index >= 2 ? second?.[index - 2] : undefined,
      ].filter((answer) => answer !== undefined);
      expect(answers.filter((answer) => answer.decided_now)).toHaveLength(1);
      for (const answer of answers) expect(['approved', 'in_progress']).toContain(answer.outcome);
      expect((await statusOf(id)).status).toBe('approved');
    }
  });
});

describe('screenBatch', () => {
  it('approves every transfer of an atomic batch together', async () => {
    const { batch_id, transfer_ids } = await insertBatch(5);
    const service = createScreeningService({
      db: database.db,
      rules: rulesDeciding(() => ({ decision: 'approve' })),
    });
    expect(await service.screenBatch(batch_id)).toEqual({ outcome: 'approved', decided_now: true, hits: [] });
    for (const id of transfer_ids) expect((await statusOf(id)).status).toBe('approved');
    expect(await service.screenBatch(batch_id)).toEqual({
      outcome: 'approved',
      decided_now: false,
      hits: [],
    });
  });

  it('rejects the whole batch when one transfer is rejected, since it posts all or nothing', async () => {
    const { batch_id, transfer_ids } = await insertBatch(3);
    const rules = rulesDeciding((transfer) =>
      transfer.id === transfer_ids[1]
        ? {
            decision: 'reject',
            reason: 'compliance_rejected',
            hits: [{ rule: 'country', detail: 'high-risk' }],
          }
        : { decision: 'approve' },
    );
    const result = await createScreeningService({ db: database.db, rules }).screenBatch(batch_id);
    expect(result).toEqual({
      outcome: 'rejected',
      decided_now: true,
      hits: [{ rule: 'country', detail: 'high-risk' }],
    });
    for (const id of transfer_ids)
      expect(await statusOf(id)).toMatchObject({ status: 'rejected', status_reason: 'compliance_rejected' });
  });

  it('holds the whole batch when one transfer needs review', async () => {
    const { batch_id, transfer_ids } = await insertBatch(2);
    const rules = rulesDeciding((transfer) =>
      transfer.id === transfer_ids[0]
        ? { decision: 'hold', hits: [{ rule: 'velocity', detail: '> 20 in 1 h' }] }
        : { decision: 'approve' },
    );
    expect((await createScreeningService({ db: database.db, rules }).screenBatch(batch_id)).outcome).toBe(
      'held',
    );
    for (const id of transfer_ids) expect((await statusOf(id)).status).toBe('held');
    // One case for the whole batch, on its first transfer, decided as one.
    expect(await casesOf(transfer_ids[0] as string)).toEqual([
      { status: 'open', batch_id, hits: [{ rule: 'velocity', detail: '> 20 in 1 h' }] },
    ]);
    expect(await casesOf(transfer_ids[1] as string)).toEqual([]);
  });

  it('reports a batch that does not exist', async () => {
    expect((await createScreeningService({ db: database.db }).screenBatch(uuidv7())).outcome).toBe(
      'not_found',
    );
  });
});

describe('combineDecisions', () => {
  it('takes the most severe decision, keeping every hit and the first rejection reason', () => {
    const hit = (rule: string) => ({ rule, detail: rule });
    expect(combineDecisions([{ decision: 'approve' }, { decision: 'approve' }])).toEqual({
      decision: 'approve',
    });
    expect(
      combineDecisions([
        { decision: 'hold', hits: [hit('a')] },
        { decision: 'reject', reason: 'sanctions_match', hits: [hit('b')] },
        { decision: 'reject', reason: 'compliance_rejected', hits: [hit('c')] },
      ]),
    ).toEqual({ decision: 'reject', reason: 'sanctions_match', hits: [hit('a'), hit('b'), hit('c')] });
  });
});
