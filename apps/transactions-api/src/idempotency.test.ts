import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { post, useTestApp, writtenRows } from './test-support';

const context = useTestApp({ transfer_amount: '5.00' });
const { transferBody } = context;

describe('Idempotency-Key', () => {
  it('replays the first response byte for byte: status, body and Location', async () => {
    const key = randomUUID();
    const first = await post(context, '/v1/transfers', transferBody({ metadata: { b: 1, a: [1, 2] } }), {
      key,
    });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ metadata: { b: 1, a: [1, 2] } });
    const before = await writtenRows(context.database.pool);
    // The same body with its keys in another order is the same request.
    const reordered = {
      metadata: { a: [1, 2], b: 1 },
      currency: 'USD',
      amount: '5.00',
      destination_account_id: context.bob_account,
      source_account_id: context.alice_account,
    };
    const second = await post(context, '/v1/transfers', reordered, { key });
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(second.headers['location']).toBe(first.headers['location']);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('answers 422 when the key comes back with another body or on another route, writing nothing', async () => {
    const key = randomUUID();
    expect((await post(context, '/v1/transfers', transferBody(), { key })).statusCode).toBe(202);
    const before = await writtenRows(context.database.pool);
    const changed = await post(context, '/v1/transfers', transferBody({ amount: '5.01' }), { key });
    expect(changed.statusCode).toBe(422);
    expect(changed.json()).toMatchObject({ code: 'idempotency_key_reused' });
    const elsewhere = await post(
      context,
      '/v1/deposits',
      { account_id: context.alice_account, amount: '5.00', currency: 'USD' },
      { key },
    );
    expect(elsewhere.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('keeps keys per client: another client may use the same key', async () => {
    const key = randomUUID();
    const first = await post(context, '/v1/transfers', transferBody(), { key, client_id: 'bank-a' });
    const second = await post(context, '/v1/transfers', transferBody(), { key, client_id: 'bank-b' });
    expect(second.statusCode).toBe(202);
    expect(second.json<{ id: string }>().id).not.toBe(first.json<{ id: string }>().id);
  });

  it('lets exactly one of many concurrent requests with one key do the work; the rest get 409 or the replay', async () => {
    const key = randomUUID();
    const before = await writtenRows(context.database.pool);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(context, '/v1/transfers', transferBody(), { key })),
    );
    const fresh = responses.filter(
      (response) => response.statusCode === 202 && response.headers['idempotent-replayed'] === undefined,
    );
    expect(fresh).toHaveLength(1);
    const winner = fresh[0];
    for (const response of responses) {
      if (response.statusCode === 202) expect(response.body).toBe(winner?.body);
      else expect(response.json()).toMatchObject({ status: 409, code: 'idempotency_request_in_progress' });
    }
    const after = await writtenRows(context.database.pool);
    expect(after).toEqual({
      ...before,
      transfers: before.transfers + 1,
      outbox: before.outbox + 1,
      idempotency: before.idempotency + 1,
    });
  });

  it('stores nothing for refused requests, so the corrected request may use the same key', async () => {
    const key = randomUUID();
    expect(
      (await post(context, '/v1/transfers', transferBody({ amount: '1.001' }), { key })).statusCode,
    ).toBe(400);
    expect(
      (await post(context, '/v1/transfers', transferBody({ destination_account_id: randomUUID() }), { key }))
        .statusCode,
    ).toBe(404);
    const corrected = await post(context, '/v1/transfers', transferBody(), { key });
    expect(corrected.statusCode).toBe(202);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays batches and hold commands too', async () => {
    const key = randomUUID();
    const batch = { atomic: true, transfers: [transferBody(), transferBody({ amount: '1.00' })] };
    const first = await post(context, '/v1/transfers/batch', batch, { key });
    const second = await post(context, '/v1/transfers/batch', batch, { key });
    expect(first.statusCode).toBe(202);
    expect(second.body).toBe(first.body);
    const { rows } = await context.database.pool.query(
      `SELECT count(*)::int AS n FROM transfer_batches WHERE id = $1`,
      [first.json<{ id: string }>().id],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('keeps the stored response at least 24 hours', async () => {
    const key = randomUUID();
    await post(context, '/v1/transfers', transferBody(), { key });
    const { rows } = await context.database.pool.query(
      `SELECT expires_at - created_at >= interval '24 hours' AS kept, response_status FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(rows).toEqual([{ kept: true, response_status: 202 }]);
  });
});
