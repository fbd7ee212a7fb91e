import { randomUUID } from 'node:crypto';
import Value from 'typebox/value';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import type { Role } from '@ledgerline/http';
import { preferredWaitSeconds } from './routes/transfers.routes';
import { BatchSchema, TransferPageSchema, TransferSchema } from './routes/transfers.schemas';
import { forceStatus, get, post, seedAccount, seedCustomer, useTestApp, writtenRows } from './test-support';

const context = useTestApp({ transfer_amount: '10.00' });
const { transferBody } = context;

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  code: string,
) {
  expect(response.statusCode, JSON.stringify(response.json())).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json() as { code: string; errors?: Array<{ path: string; message: string }> };
  expect(body).toMatchObject({ status, code, type: `urn:ledgerline:problem:${code}` });
  return body;
}

describe('POST /v1/transfers', () => {
  it('answers 202 with the Transfer and its Location, and writes transfer, outbox and idempotency rows together', async () => {
    const before = await writtenRows(context.database.pool);
    const response = await post(
      context,
      '/v1/transfers',
      transferBody({ description: 'lunch', metadata: { order: 'A-1' } }),
    );
    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
    const transfer = response.json() as Record<string, unknown>;
    expect(Value.Check(TransferSchema, transfer)).toBe(true);
    expect(response.headers['location']).toBe(`/v1/transfers/${String(transfer['id'])}`);
    expect(transfer).toMatchObject({
      source_account_id: context.alice_account,
      destination_account_id: context.bob_account,
      amount: '10.00',
      currency: 'USD',
      status: 'received',
      status_reason: null,
      description: 'lunch',
      metadata: { order: 'A-1' },
      hold: false,
      captured_amount: null,
      reverses_transfer_id: null,
      posted_at: null,
    });
    expect(Object.keys(transfer)).toEqual(
      expect.arrayContaining([
        'id',
        'source_account_id',
        'destination_account_id',
        'amount',
        'currency',
        'status',
        'status_reason',
        'description',
        'metadata',
        'hold',
        'captured_amount',
        'reverses_transfer_id',
        'created_at',
        'updated_at',
        'posted_at',
      ]),
    );
    const after = await writtenRows(context.database.pool);
    expect(after).toEqual({
      ...before,
      transfers: before.transfers + 1,
      outbox: before.outbox + 1,
      idempotency: before.idempotency + 1,
    });
    const { rows } = await context.database.pool.query(
      `SELECT t.request_id, o.job_id, o.payload->>'request_id' AS job_request_id
       FROM transfers t JOIN outbox_messages o ON o.job_id = 'screen-' || t.id WHERE t.id = $1`,
      [transfer['id']],
    );
    expect(rows).toEqual([
      {
        request_id: response.headers['x-request-id'],
        job_id: `screen-${String(transfer['id'])}`,
        job_request_id: response.headers['x-request-id'],
      },
    ]);
  });

  it('echoes a client x-request-id into the transfer and its job', async () => {
    const response = await post(context, '/v1/transfers', transferBody(), {
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(response.headers['x-request-id']).toBe('trace-123');
    const { rows } = await context.database.pool.query(`SELECT request_id FROM transfers WHERE id = $1`, [
      response.json<{ id: string }>().id,
    ]);
    expect(rows).toEqual([{ request_id: 'trace-123' }]);
  });

  it.each([
    ['an amount as a JSON number', { amount: 10 }, '/body/amount'],
    ['more decimals than USD has', { amount: '1.001' }, '/body/amount'],
    ['a negative amount', { amount: '-1' }, '/body/amount'],
    ['exponent notation', { amount: '1e3' }, '/body/amount'],
    ['a zero amount', { amount: '0' }, '/body/amount'],
    ['19 integer digits', { amount: '1000000000000000000' }, '/body/amount'],
    ['an unknown currency', { currency: 'ABC' }, '/body/currency'],
    ['a lower-case currency', { currency: 'usd' }, '/body/currency'],
    ['a malformed account id', { source_account_id: '123' }, '/body/source_account_id'],
    ['an unknown field', { memo: 'x' }, '/body/memo'],
    ['a missing amount', { amount: undefined }, '/body/amount'],
    ['hold expiry without a hold', { hold_expires_in_seconds: 60 }, '/body/hold_expires_in_seconds'],
  ])('refuses %s with 400 validation_failed, writing nothing', async (_name, overrides, path) => {
    const before = await writtenRows(context.database.pool);
    const response = await post(context, '/v1/transfers', transferBody(overrides));
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('refuses the same account on both sides (400) and unknown accounts (404), writing nothing', async () => {
    const before = await writtenRows(context.database.pool);
    const same = expectProblem(
      await post(context, '/v1/transfers', transferBody({ destination_account_id: context.alice_account })),
      400,
      'validation_failed',
    );
    expect(same.errors).toEqual([expect.objectContaining({ path: '/body/destination_account_id' })]);
    expectProblem(
      await post(context, '/v1/transfers', transferBody({ destination_account_id: uuidv7() })),
      404,
      'not_found',
    );
    expectProblem(
      await post(context, '/v1/transfers', transferBody({ source_account_id: uuidv7() })),
      404,
      'not_found',
    );
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('requires an Idempotency-Key of 1 to 255 printable characters', async () => {
    const before = await writtenRows(context.database.pool);
    expectProblem(
      await post(context, '/v1/transfers', transferBody(), { key: null }),
      400,
      'idempotency_key_required',
    );
    const huge = expectProblem(
      await post(context, '/v1/transfers', transferBody(), { key: 'k'.repeat(256) }),
      400,
      'validation_failed',
    );
    expect(huge.errors?.[0]?.path).toBe('/headers/idempotency-key');
    expectProblem(
      await post(context, '/v1/transfers', transferBody(), { key: 'naïve-ключ' }),
      400,
      'validation_failed',
    );
    expect(await writtenRows(context.database.pool)).toEqual(before);
    expect((await post(context, '/v1/transfers', transferBody(), { key: 'k'.repeat(255) })).statusCode).toBe(
      202,
    );
  });

  it('accepts holds with an expiry and refuses expiries past the maximum', async () => {
    const response = await post(
      context,
      '/v1/transfers',
      transferBody({ hold: true, hold_expires_in_seconds: 3600 }),
    );
    expect(response.statusCode).toBe(202);
    const hold = response.json<{ hold: boolean; hold_expires_at: string; created_at: string }>();
    expect(hold.hold).toBe(true);
    expect(Date.parse(hold.hold_expires_at) - Date.parse(hold.created_at)).toBe(3_600_000);
    expectProblem(
      await post(context, '/v1/transfers', transferBody({ hold: true, hold_expires_in_seconds: 10 ** 8 })),
      400,
      'validation_failed',
    );
  });
});

describe('shared accept statements', () => {
  it('writes concurrent accepts together and reports each statement on /metrics', async () => {
    const statements = async () => {
      const text = (await context.app.inject({ url: '/metrics' })).body;
      const count = /^ledgerline_batch_keys_count\{[^}]*batcher="accept"[^}]*\} (\d+)$/m.exec(text);
      const keys = /^ledgerline_batch_keys_sum\{[^}]*batcher="accept"[^}]*\} (\d+)$/m.exec(text);
      return { statements: Number(count?.[1] ?? 0), accepts: Number(keys?.[1] ?? 0) };
    };
    expect((await post(context, '/v1/transfers', transferBody())).statusCode).toBe(202);
    const before = await statements();
    const rowsBefore = await writtenRows(context.database.pool);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(context, '/v1/transfers', transferBody())),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: 10 }, () => 202));
    const after = await statements();
    expect(after.accepts - before.accepts).toBe(10);
    expect(after.statements - before.statements).toBeLessThan(10);
    const rowsAfter = await writtenRows(context.database.pool);
    expect(rowsAfter.transfers - rowsBefore.transfers).toBe(10);
    expect(new Set(responses.map((response) => (response.json() as { id: string }).id)).size).toBe(10);
  });
});

describe('authorization', () => {
  it('needs a valid bearer token', async () => {
    const anonymous = await context.app.inject({
      method: 'POST',
      url: '/v1/transfers',
      payload: transferBody(),
      headers: { 'idempotency-key': 'a' },
    });
    expectProblem(anonymous, 401, 'unauthorized');
    const forged = await context.app.inject({
      method: 'GET',
      url: '/v1/transfers',
      headers: { authorization: `Bearer ${context.tokens.algNone()}` },
    });
    expectProblem(forged, 401, 'unauthorized');
  });

  it.each<Role>(['operator', 'compliance'])(
    'gives %s read access and 403 on every money-moving POST',
    async (role) => {
      const before = await writtenRows(context.database.pool);
      const id = uuidv7();
      for (const [url, body] of [
        ['/v1/transfers', transferBody()],
        ['/v1/deposits', { account_id: context.alice_account, amount: '1.00', currency: 'USD' }],
        ['/v1/withdrawals', { account_id: context.alice_account, amount: '1.00', currency: 'USD' }],
        ['/v1/transfers/batch', { transfers: [transferBody()] }],
        [`/v1/transfers/${id}/capture`, {}],
        [`/v1/transfers/${id}/void`, undefined],
        [`/v1/transfers/${id}/reverse`, { reason: 'x' }],
      ] as const) {
        expectProblem(await post(context, url, body, { role }), 403, 'forbidden');
        // Even a body that would not validate, and no key: the role is refused first.
        expectProblem(await post(context, url, { junk: true }, { role, key: null }), 403, 'forbidden');
      }
      expect(await writtenRows(context.database.pool)).toEqual(before);
      expect((await get(context, '/v1/transfers?limit=1', { role })).statusCode).toBe(200);
    },
  );

  it('lets a customer send only from its own account; another customer sees 404 and no rows', async () => {
    const own = await post(context, '/v1/transfers', transferBody(), {
      role: 'customer',
      customer_id: context.alice,
    });
    expect(own.statusCode).toBe(202);
    const before = await writtenRows(context.database.pool);
    expectProblem(
      await post(context, '/v1/transfers', transferBody(), { role: 'customer', customer_id: context.bob }),
      404,
      'not_found',
    );
    const batch = {
      transfers: [
        transferBody({
          source_account_id: context.bob_account,
          destination_account_id: context.alice_account,
        }),
        transferBody(),
      ],
    };
    expectProblem(
      await post(context, '/v1/transfers/batch', batch, { role: 'customer', customer_id: context.bob }),
      404,
      'not_found',
    );
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('lets customers see transfers they are a party to, and 404 otherwise', async () => {
    const transfer = (await post(context, '/v1/transfers', transferBody())).json<{ id: string }>();
    const carol = await seedCustomer(context.database.pool);
    for (const [customer_id, status] of [
      [context.alice, 200],
      [context.bob, 200],
      [carol, 404],
    ] as const) {
      expect(
        (await get(context, `/v1/transfers/${transfer.id}`, { role: 'customer', customer_id })).statusCode,
      ).toBe(status);
    }
    expectProblem(
      await get(context, `/v1/transfers?account_id=${context.alice_account}`, {
        role: 'customer',
        customer_id: carol,
      }),
      404,
      'not_found',
    );
    const carolList = await get(context, '/v1/transfers', { role: 'customer', customer_id: carol });
    expect(carolList.json()).toEqual({ data: [], next_cursor: null });
  });

  it('keeps deposits and withdrawals to service and admin', async () => {
    const body = { account_id: context.alice_account, amount: '1.00', currency: 'USD' };
    expectProblem(
      await post(context, '/v1/deposits', body, { role: 'customer', customer_id: context.alice }),
      403,
      'forbidden',
    );
    expect((await post(context, '/v1/deposits', body, { role: 'admin' })).statusCode).toBe(202);
  });
});

describe('deposits and withdrawals', () => {
  it('move money between the account and the settlement account of the currency', async () => {
    const deposit = await post(context, '/v1/deposits', {
      account_id: context.alice_account,
      amount: '100',
      currency: 'USD',
      description: 'payroll',
    });
    expect(deposit.statusCode).toBe(202);
    const withdrawal = await post(context, '/v1/withdrawals', {
      account_id: context.alice_account,
      amount: '25.5',
      currency: 'USD',
    });
    expect(withdrawal.statusCode).toBe(202);
    const { rows } = await context.database.pool.query(
      `SELECT id::text FROM accounts WHERE kind = 'settlement' AND currency = 'USD'`,
    );
    const settlement = rows[0]?.id as string;
    expect(deposit.json()).toMatchObject({
      kind: 'deposit',
      source_account_id: settlement,
      destination_account_id: context.alice_account,
      amount: '100.00',
      description: 'payroll',
    });
    expect(withdrawal.json()).toMatchObject({
      kind: 'withdrawal',
      source_account_id: context.alice_account,
      destination_account_id: settlement,
      amount: '25.50',
    });
    expect(deposit.headers['location']).toBe(`/v1/transfers/${deposit.json<{ id: string }>().id}`);
  });

  it('validate like transfers', async () => {
    expectProblem(
      await post(context, '/v1/deposits', { account_id: context.alice_account, amount: 5, currency: 'USD' }),
      400,
      'validation_failed',
    );
    expectProblem(
      await post(context, '/v1/withdrawals', {
        account_id: context.alice_account,
        amount: '5.001',
        currency: 'USD',
      }),
      400,
      'validation_failed',
    );
    expectProblem(
      await post(context, '/v1/withdrawals', { account_id: uuidv7(), amount: '5', currency: 'USD' }),
      404,
      'not_found',
    );
    expectProblem(
      await post(
        context,
        '/v1/deposits',
        { account_id: context.alice_account, amount: '5', currency: 'USD' },
        { key: null },
      ),
      400,
      'idempotency_key_required',
    );
  });
});

describe('POST /v1/transfers/batch', () => {
  it('accepts an atomic batch: one id, every transfer in it, one screening job', async () => {
    const response = await post(context, '/v1/transfers/batch', {
      atomic: true,
      transfers: [
        transferBody(),
        transferBody({
          source_account_id: context.bob_account,
          destination_account_id: context.alice_account,
          amount: '2.50',
        }),
      ],
    });
    expect(response.statusCode).toBe(202);
    const batch = response.json<{
      id: string;
      atomic: boolean;
      transfers: Array<{ id: string; batch_id: string; amount: string }>;
    }>();
    expect(Value.Check(BatchSchema, batch)).toBe(true);
    expect(batch.atomic).toBe(true);
    expect(batch.transfers.map((transfer) => [transfer.batch_id, transfer.amount])).toEqual([
      [batch.id, '10.00'],
      [batch.id, '2.50'],
    ]);
    const { rows } = await context.database.pool.query(
      `SELECT job_id FROM outbox_messages WHERE payload->>'batch_id' = $1`,
      [batch.id],
    );
    expect(rows).toEqual([{ job_id: `screen-batch-${batch.id}` }]);
  });

  it('accepts 1000 transfers and refuses 1001 or none', async () => {
    const thousand = await post(context, '/v1/transfers/batch', {
      transfers: Array.from({ length: 1000 }, () => transferBody({ amount: '0.01' })),
    });
    expect(thousand.statusCode).toBe(202);
    expect(thousand.json<{ transfers: unknown[] }>().transfers).toHaveLength(1000);
    const before = await writtenRows(context.database.pool);
    const tooMany = await post(context, '/v1/transfers/batch', {
      transfers: Array.from({ length: 1001 }, () => transferBody()),
    });
    expect(expectProblem(tooMany, 400, 'validation_failed').errors?.[0]?.path).toBe('/body/transfers');
    expectProblem(await post(context, '/v1/transfers/batch', { transfers: [] }), 400, 'validation_failed');
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('refuses the whole batch when one transfer is wrong', async () => {
    const before = await writtenRows(context.database.pool);
    const problem = expectProblem(
      await post(context, '/v1/transfers/batch', {
        transfers: [transferBody(), transferBody({ amount: '1.001' })],
      }),
      400,
      'validation_failed',
    );
    expect(problem.errors).toEqual([expect.objectContaining({ path: '/body/transfers/1/amount' })]);
    expectProblem(
      await post(context, '/v1/transfers/batch', {
        transfers: [transferBody(), transferBody({ hold: true })],
      }),
      400,
      'validation_failed',
    );
    expect(await writtenRows(context.database.pool)).toEqual(before);
  });

  it('accepts transfer bodies that say hold: false, as clients reuse them', async () => {
    const response = await post(context, '/v1/transfers/batch', {
      transfers: [transferBody({ hold: false }), transferBody()],
    });
    expect(response.statusCode).toBe(202);
    expect(
      response.json<{ transfers: Array<{ hold: boolean }> }>().transfers.map((transfer) => transfer.hold),
    ).toEqual([false, false]);
  });
});

describe('GET /v1/transfers/:id', () => {
  it('returns the transfer, 404 for unknown ids and 400 for malformed ones', async () => {
    const created = (await post(context, '/v1/transfers', transferBody())).json();
    const response = await get(context, `/v1/transfers/${(created as { id: string }).id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(created);
    expect(response.headers['preference-applied']).toBeUndefined();
    expectProblem(await get(context, `/v1/transfers/${uuidv7()}`), 404, 'not_found');
    expectProblem(await get(context, '/v1/transfers/not-a-uuid'), 400, 'validation_failed');
  });

  it('with Prefer: wait=N answers once the transfer is final, and says the preference was applied', async () => {
    const { id } = (await post(context, '/v1/transfers', transferBody())).json<{ id: string }>();
    setTimeout(() => void forceStatus(context.database.pool, id, 'posted'), 300);
    const started = Date.now();
    const response = await get(context, `/v1/transfers/${id}`, {
      headers: { prefer: 'respond-async, wait=10' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, status: 'posted' });
    expect(response.headers['preference-applied']).toBe('wait=10');
    expect(response.headers['vary']).toMatch(/Prefer/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('with Prefer: wait=N answers the current state after N seconds', async () => {
    const { id } = (await post(context, '/v1/transfers', transferBody())).json<{ id: string }>();
    const started = Date.now();
    const response = await get(context, `/v1/transfers/${id}`, { headers: { prefer: 'wait=1' } });
    expect(response.json()).toMatchObject({ status: 'received' });
    expect(response.headers['preference-applied']).toBe('wait=1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('parses the wait preference per RFC 7240 and caps it at 30 seconds', () => {
    expect(preferredWaitSeconds(undefined)).toBeUndefined();
    expect(preferredWaitSeconds('return=minimal')).toBeUndefined();
    expect(preferredWaitSeconds('wait=5')).toBe(5);
    expect(preferredWaitSeconds('respond-async, WAIT = "7"')).toBe(7);
    expect(preferredWaitSeconds('wait=600')).toBe(30);
    expect(preferredWaitSeconds('wait=-1')).toBeUndefined();
    expect(preferredWaitSeconds('wait=1.5')).toBeUndefined();
  });
});

describe('GET /v1/transfers', () => {
  it('pages by account, newest first, with opaque cursors', async () => {
    const customer = await seedCustomer(context.database.pool);
    const account = await seedAccount(context.database.pool, { customer_id: customer });
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push(
        (await post(context, '/v1/transfers', transferBody({ destination_account_id: account }))).json<{
          id: string;
        }>().id,
      );
    }
    const seen: string[] = [];
    let url = `/v1/transfers?account_id=${account}&limit=2`;
    for (let page = 0; page < 5; page += 1) {
      const response = await get(context, url, { role: 'customer', customer_id: customer });
      expect(response.statusCode).toBe(200);
      const body = response.json<{ data: Array<{ id: string }>; next_cursor: string | null }>();
      expect(Value.Check(TransferPageSchema, body)).toBe(true);
      seen.push(...body.data.map((transfer) => transfer.id));
      if (body.next_cursor === null) break;
      url = `/v1/transfers?account_id=${account}&limit=2&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status and validates the query', async () => {
    const { id } = (await post(context, '/v1/transfers', transferBody())).json<{ id: string }>();
    await forceStatus(context.database.pool, id, 'rejected');
    const rejected = (
      await get(context, `/v1/transfers?account_id=${context.alice_account}&status=rejected`)
    ).json<{
      data: Array<{ id: string }>;
    }>();
    expect(rejected.data.map((transfer) => transfer.id)).toContain(id);
    expect(rejected.data.every((transfer) => (transfer as { status?: string }).status === 'rejected')).toBe(
      true,
    );
    expectProblem(await get(context, '/v1/transfers?status=lost'), 400, 'validation_failed');
    expectProblem(await get(context, '/v1/transfers?limit=201'), 400, 'validation_failed');
    expect(
      expectProblem(await get(context, '/v1/transfers?cursor=zzz'), 400, 'validation_failed').errors?.[0]
        ?.path,
    ).toBe('/query/cursor');
    expectProblem(await get(context, `/v1/transfers?account_id=${uuidv7()}`), 404, 'not_found');
  });
});

describe('the API document', () => {
  it('describes every route with its responses', async () => {
    const document = (await context.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, unknown>; parameters?: Array<{ name: string; in: string }> }
        >
      >;
    }>();
    const expected: Array<[string, string, string[]]> = [
      ['/v1/transfers', 'post', ['202', '400', '401', '403', '404', '409', '422']],
      ['/v1/transfers', 'get', ['200', '400', '401', '404']],
      ['/v1/deposits', 'post', ['202', '403']],
      ['/v1/withdrawals', 'post', ['202', '403']],
      ['/v1/transfers/batch', 'post', ['202', '422']],
      ['/v1/transfers/{id}', 'get', ['200', '404']],
      ['/v1/transfers/{id}/capture', 'post', ['202', '409']],
      ['/v1/transfers/{id}/void', 'post', ['202', '409']],
      ['/v1/transfers/{id}/reverse', 'post', ['202', '409']],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(statuses));
    }
    expect(document.paths['/v1/transfers']?.['post']?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'idempotency-key', in: 'header' })]),
    );
  });
});

describe('the audit trail', () => {
  it('records every money-moving request with its caller and outcome, refused ones too', async () => {
    const accepted = await post(context, '/v1/transfers', transferBody(), { client_id: 'audited-bank' });
    const refused = await post(context, '/v1/transfers', transferBody({ amount: '1.001' }), {
      client_id: 'audited-bank',
    });
    const { rows } = await context.database.pool.query(
      `SELECT actor, role, action, outcome, request_id FROM audit_records WHERE actor = 'audited-bank' ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        actor: 'audited-bank',
        role: 'service',
        action: 'POST /v1/transfers',
        outcome: 202,
        request_id: accepted.headers['x-request-id'],
      },
      {
        actor: 'audited-bank',
        role: 'service',
        action: 'POST /v1/transfers',
        outcome: 400,
        request_id: refused.headers['x-request-id'],
      },
    ]);
    // The accepted one's record was committed by the very transaction that accepted the transfer.
    const { rows: writers } = await context.database.pool.query(
      `SELECT (SELECT xmin::text FROM transfers WHERE id = $1) AS transfer, (SELECT xmin::text FROM audit_records WHERE request_id = $2) AS audit`,
      [accepted.json().id, accepted.headers['x-request-id']],
    );
    expect(writers[0].audit).toBe(writers[0].transfer);
  });

  it('records a replay as a request of its own, and refusals of commands on transfers', async () => {
    const key = `audited-replay-${randomUUID()}`;
    const first = await post(context, '/v1/transfers', transferBody(), { client_id: 'audited-replays', key });
    const replay = await post(context, '/v1/transfers', transferBody(), {
      client_id: 'audited-replays',
      key,
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const voided = await post(
      context,
      `/v1/transfers/${first.json().id}/void`,
      {},
      { client_id: 'audited-replays' },
    );
    expect(voided.statusCode).toBe(409);
    const { rows } = await context.database.pool.query(
      `SELECT action, outcome, request_id FROM audit_records WHERE actor = 'audited-replays' ORDER BY id`,
    );
    expect(rows).toEqual([
      { action: 'POST /v1/transfers', outcome: 202, request_id: first.headers['x-request-id'] },
      { action: 'POST /v1/transfers', outcome: 202, request_id: replay.headers['x-request-id'] },
      { action: 'POST /v1/transfers/:id/void', outcome: 409, request_id: voided.headers['x-request-id'] },
    ]);
  });
});

describe('request ids', () => {
  it('are unique per request when the client sends none', async () => {
    const first = await get(context, `/v1/transfers/${randomUUID()}`);
    const second = await get(context, `/v1/transfers/${randomUUID()}`);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });
});
