/**
 * The life of a transfer across the platform, without queues: accepted here through the API, then
 * screened and posted by calling the libraries the compliance and ledger workers run. It proves the
 * rows this service writes are exactly what the next steps expect, and that GET reports their results.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPostingEngine, type PostingEngine } from '@ledgerline/ledger';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test only: drives the compliance worker's library in place of its queue; the app never imports it
import { createScreeningService, type ScreeningService } from '@ledgerline/screening';
import { get, post, seedAccount, useTestApp } from './test-support';

const context = useTestApp();
let screening: ScreeningService;
let engine: PostingEngine;

beforeAll(() => {
  screening = createScreeningService({ db: context.database.db });
  engine = createPostingEngine({ db: context.database.db, batch_size_max: 100 });
});

/** What the compliance worker and then the ledger worker do with a transfer's jobs. */
async function screenAndPost(transfer_id: string): Promise<void> {
  expect((await screening.screen(transfer_id)).outcome).toBe('approved');
  await engine.advance([transfer_id]);
}

async function postedBalance(account_id: string): Promise<string> {
  const { rows } = await context.database.pool.query(
    `SELECT (posted_credits - posted_debits)::numeric(38,2)::text AS posted, pending_debits::numeric(38,2)::text AS pending
     FROM accounts WHERE id = $1`,
    [account_id],
  );
  return (rows[0] as { posted: string }).posted;
}

async function pendingDebits(account_id: string): Promise<string> {
  const { rows } = await context.database.pool.query(
    `SELECT pending_debits::numeric(38,2)::text AS pending FROM accounts WHERE id = $1`,
    [account_id],
  );
  return (rows[0] as { pending: string }).pending;
}

async function outboxJobIds(pattern: string): Promise<string[]> {
  const { rows } = await context.database.pool.query(
    `SELECT job_id FROM outbox_messages WHERE job_id LIKE $1 ORDER BY id`,
    [pattern],
  );
  return rows.map((row: { job_id: string }) => row.job_id);
}

describe('a transfer from acceptance to posting', () => {
  it('deposits, transfers between customers, and shows the posted result and both balances', async () => {
    const deposit = await post(context, '/v1/deposits', {
      account_id: context.alice_account,
      amount: '100.00',
      currency: 'USD',
    });
    expect(deposit.statusCode).toBe(202);
    const depositId = deposit.json<{ id: string }>().id;
    expect(await outboxJobIds(`screen-${depositId}`)).toEqual([`screen-${depositId}`]);
    await screenAndPost(depositId);
    expect((await get(context, `/v1/transfers/${depositId}`)).json()).toMatchObject({
      status: 'posted',
      posted_at: expect.any(String),
    });

    const accepted = await post(
      context,
      '/v1/transfers',
      {
        source_account_id: context.alice_account,
        destination_account_id: context.bob_account,
        amount: '30.00',
        currency: 'USD',
      },
      { role: 'customer', customer_id: context.alice },
    );
    expect(accepted.statusCode).toBe(202);
    const { id } = accepted.json<{ id: string }>();
    // A client long-polls while the workers do their part.
    const waiting = get(context, `/v1/transfers/${id}`, {
      role: 'customer',
      customer_id: context.bob,
      headers: { prefer: 'wait=10' },
    });
    await screenAndPost(id);
    const final = await waiting;
    expect(final.headers['preference-applied']).toBe('wait=10');
    expect(final.json()).toMatchObject({
      id,
      status: 'posted',
      status_reason: null,
      amount: '30.00',
      posted_at: expect.any(String),
    });
    expect(await postedBalance(context.alice_account)).toBe('70.00');
    expect(await postedBalance(context.bob_account)).toBe('30.00');

    // Redelivered jobs change nothing: the state machine finds the work done.
    await screenAndPostAgain(id);
    expect(await postedBalance(context.alice_account)).toBe('70.00');
  });

  it('rejects a transfer the source cannot afford, with the reason, and moves no money', async () => {
    const { id } = (
      await post(context, '/v1/transfers', {
        source_account_id: context.bob_account,
        destination_account_id: context.alice_account,
        amount: '1000.00',
        currency: 'USD',
      })
    ).json<{ id: string }>();
    await screenAndPost(id);
    expect((await get(context, `/v1/transfers/${id}`)).json()).toMatchObject({
      status: 'rejected',
      status_reason: 'insufficient_funds',
    });
    expect(await postedBalance(context.bob_account)).toBe('30.00');
  });

  it('holds, captures part, and releases the rest', async () => {
    const hold = await post(context, '/v1/transfers', {
      source_account_id: context.alice_account,
      destination_account_id: context.bob_account,
      amount: '20.00',
      currency: 'USD',
      hold: true,
    });
    const { id } = hold.json<{ id: string }>();
    expect(await outboxJobIds(`%-${id}`)).toEqual([`screen-${id}`, `expire-hold-${id}`]);
    await screenAndPost(id);
    expect((await get(context, `/v1/transfers/${id}`)).json()).toMatchObject({ status: 'pending' });
    expect(await pendingDebits(context.alice_account)).toBe('20.00');

    expect((await post(context, `/v1/transfers/${id}/capture`, { amount: '15.00' })).statusCode).toBe(202);
    expect(await outboxJobIds(`advance-${id}-%`)).toEqual([`advance-${id}-capture`]);
    await engine.advance([id]);
    expect((await get(context, `/v1/transfers/${id}`)).json()).toMatchObject({
      status: 'posted',
      captured_amount: '15.00',
      amount: '20.00',
    });
    expect(await pendingDebits(context.alice_account)).toBe('0.00');
    expect(await postedBalance(context.alice_account)).toBe('55.00');
    expect(await postedBalance(context.bob_account)).toBe('45.00');

    // Reversing the captured transfer moves back what was captured.
    const reversal = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'order cancelled' });
    expect(reversal.json()).toMatchObject({ amount: '15.00', reverses_transfer_id: id });
    await screenAndPost(reversal.json<{ id: string }>().id);
    expect(await postedBalance(context.alice_account)).toBe('70.00');
    expect(await postedBalance(context.bob_account)).toBe('30.00');
  });

  it('lets a transfer be reversed again once the ledger rejected its first reversal', async () => {
    const { pool } = context.database;
    const payer = await seedAccount(pool, { customer_id: context.alice });
    const payee = await seedAccount(pool, { customer_id: context.bob });
    const elsewhere = await seedAccount(pool, { customer_id: context.bob });
    const fund = await post(context, '/v1/deposits', { account_id: payer, amount: '40.00', currency: 'USD' });
    await screenAndPost(fund.json<{ id: string }>().id);
    const paid = await post(context, '/v1/transfers', {
      source_account_id: payer,
      destination_account_id: payee,
      amount: '40.00',
      currency: 'USD',
    });
    const { id } = paid.json<{ id: string }>();
    await screenAndPost(id);
    // The payee spends the money, so the first reversal cannot take it back.
    const spent = await post(context, '/v1/transfers', {
      source_account_id: payee,
      destination_account_id: elsewhere,
      amount: '40.00',
      currency: 'USD',
    });
    await screenAndPost(spent.json<{ id: string }>().id);

    const first = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' });
    expect(first.statusCode).toBe(202);
    const firstId = first.json<{ id: string }>().id;
    // While the first is on its way, a second is refused.
    const early = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'invalid_state' });
    await screenAndPost(firstId);
    expect((await get(context, `/v1/transfers/${firstId}`)).json()).toMatchObject({
      status: 'rejected',
      status_reason: 'insufficient_funds',
    });

    // The money is back with the payee; a new reversal takes it.
    const back = await post(context, `/v1/transfers/${spent.json<{ id: string }>().id}/reverse`, {
      reason: 'returned',
    });
    await screenAndPost(back.json<{ id: string }>().id);
    const second = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' });
    expect(second.statusCode).toBe(202);
    expect(second.json()).toMatchObject({ reverses_transfer_id: id, amount: '40.00' });
    await screenAndPost(second.json<{ id: string }>().id);
    expect(await postedBalance(payer)).toBe('40.00');
    expect(await postedBalance(payee)).toBe('0.00');
    // Still only one reversal that moved money.
    const again = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' });
    expect(again.statusCode).toBe(409);
  });

  it('voids a hold and releases the reserved funds', async () => {
    const { id } = (
      await post(context, '/v1/transfers', {
        source_account_id: context.alice_account,
        destination_account_id: context.bob_account,
        amount: '5.00',
        currency: 'USD',
        hold: true,
      })
    ).json<{ id: string }>();
    await screenAndPost(id);
    expect(await pendingDebits(context.alice_account)).toBe('5.00');
    expect((await post(context, `/v1/transfers/${id}/void`, undefined)).statusCode).toBe(202);
    await engine.advance([id]);
    expect((await get(context, `/v1/transfers/${id}`)).json()).toMatchObject({ status: 'voided' });
    expect(await pendingDebits(context.alice_account)).toBe('0.00');
    expect(await postedBalance(context.alice_account)).toBe('70.00');
  });

  it('posts an atomic batch all or nothing', async () => {
    const transfers = [
      {
        source_account_id: context.alice_account,
        destination_account_id: context.bob_account,
        amount: '10.00',
        currency: 'USD',
      },
      {
        source_account_id: context.bob_account,
        destination_account_id: context.alice_account,
        amount: '500.00',
        currency: 'USD',
      },
    ];
    const failing = (await post(context, '/v1/transfers/batch', { atomic: true, transfers })).json<{
      id: string;
      transfers: Array<{ id: string }>;
    }>();
    expect(await outboxJobIds(`screen-batch-${failing.id}`)).toHaveLength(1);
    expect((await screening.screenBatch(failing.id)).outcome).toBe('approved');
    await engine.advanceAtomicBatch(failing.id);
    for (const transfer of failing.transfers) {
      expect((await get(context, `/v1/transfers/${transfer.id}`)).json()).toMatchObject({
        status: 'rejected',
        status_reason: 'insufficient_funds',
      });
    }
    expect(await postedBalance(context.alice_account)).toBe('70.00');

    const passing = (
      await post(context, '/v1/transfers/batch', {
        atomic: true,
        transfers: [transfers[0], { ...transfers[1], amount: '5.00' }],
      })
    ).json<{ id: string; transfers: Array<{ id: string }> }>();
    await screening.screenBatch(passing.id);
    await engine.advanceAtomicBatch(passing.id);
    for (const transfer of passing.transfers) {
      expect((await get(context, `/v1/transfers/${transfer.id}`)).json()).toMatchObject({ status: 'posted' });
    }
    expect(await postedBalance(context.alice_account)).toBe('65.00');
    expect(await postedBalance(context.bob_account)).toBe('35.00');
  });
});

async function screenAndPostAgain(transfer_id: string): Promise<void> {
  expect((await screening.screen(transfer_id)).outcome).toBe('past_screening');
  expect(await engine.advance([transfer_id])).toEqual([
    expect.objectContaining({ transfer_id, status: 'posted', changed: false }),
  ]);
}
