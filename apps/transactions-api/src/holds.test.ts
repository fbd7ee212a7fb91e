import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { forceStatus, get, post, seedCustomer, useTestApp, writtenRows } from './test-support';

const context = useTestApp({ transfer_amount: '50.00' });

async function createTransfer(overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  const response = await post(context, '/v1/transfers', context.transferBody(overrides));
  expect(response.statusCode).toBe(202);
  return response.json<{ id: string }>();
}

async function pendingHold(): Promise<string> {
  const { id } = await createTransfer({ hold: true });
  await forceStatus(context.database.pool, id, 'pending');
  return id;
}

async function holdState(id: string) {
  const { rows } = await context.database.pool.query(
    `SELECT hold_action::text, hold_action_amount::text FROM transfers WHERE id = $1`,
    [id],
  );
  return rows[0] as { hold_action: string | null; hold_action_amount: string | null };
}

describe('POST /v1/transfers/:id/capture', () => {
  it('captures part of a pending hold and queues the ledger job in the same transaction', async () => {
    const id = await pendingHold();
    const response = await post(context, `/v1/transfers/${id}/capture`, { amount: '20.00' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ id, status: 'pending', hold: true });
    expect(await holdState(id)).toEqual({ hold_action: 'capture', hold_action_amount: '20.0000' });
    const { rows } = await context.database.pool.query(
      `SELECT queue, payload->>'transfer_id' AS transfer_id FROM outbox_messages WHERE job_id = $1`,
      [`advance-${id}-capture`],
    );
    expect(rows).toEqual([{ queue: 'ledger', transfer_id: id }]);
  });

  it('captures the whole hold without a body', async () => {
    const id = await pendingHold();
    expect((await post(context, `/v1/transfers/${id}/capture`, undefined)).statusCode).toBe(202);
    expect(await holdState(id)).toEqual({ hold_action: 'capture', hold_action_amount: '50.0000' });
  });

  it('refuses more than the held amount and malformed amounts with 400, writing nothing', async () => {
    const id = await pendingHold();
    const before = await writtenRows(context.database.pool);
    for (const amount of ['50.01', '1.001', '-1', 5]) {
      const response = await post(context, `/v1/transfers/${id}/capture`, { amount });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation_failed',
        errors: [expect.objectContaining({ path: '/body/amount' })],
      });
    }
    expect(await writtenRows(context.database.pool)).toEqual(before);
    expect(await holdState(id)).toEqual({ hold_action: null, hold_action_amount: null });
  });

  it('is 409 invalid_state unless the transfer is a pending hold with no action yet', async () => {
    const plain = await createTransfer();
    const notYetPending = await createTransfer({ hold: true });
    const decided = await pendingHold();
    expect((await post(context, `/v1/transfers/${decided}/void`, undefined)).statusCode).toBe(202);
    const before = await writtenRows(context.database.pool);
    for (const id of [plain.id, notYetPending.id, decided]) {
      const response = await post(context, `/v1/transfers/${id}/capture`, {});
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'invalid_state' });
    }
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('is 404 for unknown transfers and for customers who are not a party; 403 for parties', async () => {
    const id = await pendingHold();
    expect((await post(context, `/v1/transfers/${uuidv7()}/capture`, {})).statusCode).toBe(404);
    const stranger = await seedCustomer(context.database.pool);
    expect(
      (await post(context, `/v1/transfers/${id}/capture`, {}, { role: 'customer', customer_id: stranger }))
        .statusCode,
    ).toBe(404);
    expect(
      (
        await post(
          context,
          `/v1/transfers/${id}/capture`,
          {},
          { role: 'customer', customer_id: context.alice },
        )
      ).statusCode,
    ).toBe(403);
    expect((await post(context, `/v1/transfers/${id}/capture`, {}, { key: null })).json()).toMatchObject({
      code: 'idempotency_key_required',
    });
  });

  it('lets one of racing capture and void requests win; the other is 409', async () => {
    const id = await pendingHold();
    const responses = await Promise.all([
      post(context, `/v1/transfers/${id}/capture`, {}),
      post(context, `/v1/transfers/${id}/void`, undefined),
    ]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([202, 409]);
    const { rows } = await context.database.pool.query(
      `SELECT count(*)::int AS n FROM outbox_messages WHERE job_id LIKE $1`,
      [`advance-${id}-%`],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('replays a retried capture instead of refusing it', async () => {
    const id = await pendingHold();
    const key = randomUUID();
    const first = await post(context, `/v1/transfers/${id}/capture`, { amount: '10.00' }, { key });
    const retry = await post(context, `/v1/transfers/${id}/capture`, { amount: '10.00' }, { key });
    expect(retry.statusCode).toBe(202);
    expect(retry.body).toBe(first.body);
  });
});

describe('POST /v1/transfers/:id/void', () => {
  it('voids a pending hold, with or without an empty body, and queues the ledger job', async () => {
    const id = await pendingHold();
    expect((await post(context, `/v1/transfers/${id}/void`, {})).statusCode).toBe(202);
    expect(await holdState(id)).toEqual({ hold_action: 'void', hold_action_amount: null });
    const { rows } = await context.database.pool.query(`SELECT 1 FROM outbox_messages WHERE job_id = $1`, [
      `advance-${id}-void`,
    ]);
    expect(rows).toHaveLength(1);
    const other = await pendingHold();
    expect((await post(context, `/v1/transfers/${other}/void`, { amount: '1.00' })).statusCode).toBe(400);
  });

  it('refuses a voided, posted or expired hold', async () => {
    const voided = await pendingHold();
    await forceStatus(context.database.pool, voided, 'voided');
    expect((await post(context, `/v1/transfers/${voided}/void`, undefined)).statusCode).toBe(409);
    const expired = await pendingHold();
    await context.database.pool.query(
      `UPDATE transfers SET hold_expires_at = now() - interval '1 minute' WHERE id = $1`,
      [expired],
    );
    expect((await post(context, `/v1/transfers/${expired}/capture`, {})).statusCode).toBe(409);
  });
});

describe('POST /v1/transfers/:id/reverse', () => {
  it('reverses a posted transfer with a new transfer that moves the money back', async () => {
    const { id } = await createTransfer();
    await forceStatus(context.database.pool, id, 'posted');
    const response = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'duplicate charge' });
    expect(response.statusCode).toBe(202);
    const reversal = response.json<{ id: string }>();
    expect(reversal).toMatchObject({
      kind: 'reversal',
      source_account_id: context.bob_account,
      destination_account_id: context.alice_account,
      amount: '50.00',
      status: 'received',
      description: 'duplicate charge',
      reverses_transfer_id: id,
    });
    expect(response.headers['location']).toBe(`/v1/transfers/${reversal.id}`);
    const { rows } = await context.database.pool.query(`SELECT 1 FROM outbox_messages WHERE job_id = $1`, [
      `screen-${reversal.id}`,
    ]);
    expect(rows).toHaveLength(1);
    expect(
      (await get(context, `/v1/transfers/${reversal.id}`, { role: 'customer', customer_id: context.alice }))
        .statusCode,
    ).toBe(200);
  });

  it('reverses once: a second reversal (another key) is 409, a retry (same key) replays', async () => {
    const { id } = await createTransfer();
    await forceStatus(context.database.pool, id, 'posted');
    const key = randomUUID();
    const first = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' }, { key });
    expect((await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' }, { key })).body).toBe(
      first.body,
    );
    const second = await post(context, `/v1/transfers/${id}/reverse`, { reason: 'refund' });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'invalid_state' });
  });

  it('lets exactly one of concurrent reversals through', async () => {
    const { id } = await createTransfer();
    await forceStatus(context.database.pool, id, 'posted');
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => post(context, `/v1/transfers/${id}/reverse`, { reason: 'race' })),
    );
    expect(responses.map((response) => response.statusCode).sort()).toEqual([202, 409, 409, 409]);
  });

  it('refuses transfers that are not posted, bodies without a reason, and customers', async () => {
    const { id } = await createTransfer();
    expect((await post(context, `/v1/transfers/${id}/reverse`, { reason: 'early' })).statusCode).toBe(409);
    await forceStatus(context.database.pool, id, 'rejected');
    expect((await post(context, `/v1/transfers/${id}/reverse`, { reason: 'rejected' })).statusCode).toBe(409);
    expect((await post(context, `/v1/transfers/${id}/reverse`, {})).statusCode).toBe(400);
    await forceStatus(context.database.pool, id, 'posted');
    expect(
      (
        await post(
          context,
          `/v1/transfers/${id}/reverse`,
          { reason: 'mine' },
          { role: 'customer', customer_id: context.alice },
        )
      ).statusCode,
    ).toBe(403);
    const stranger = await seedCustomer(context.database.pool);
    expect(
      (
        await post(
          context,
          `/v1/transfers/${id}/reverse`,
          { reason: 'x' },
          { role: 'customer', customer_id: stranger },
        )
      ).statusCode,
    ).toBe(404);
  });
});
