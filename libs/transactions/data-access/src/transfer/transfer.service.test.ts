import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { FinishedBatch } from '@ledgerline/batching';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { forceStatus, seedAccount, seedCustomer, writtenRows } from '../testing/seed';
import { advisoryLockKey } from '../idempotency/idempotency';
import { createTransferService, type TransferService } from './transfer.service';
import type { Caller, CommandResult, MoneyCommand, TransferView } from './transfer.types';

let database: TestDatabase;
let service: TransferService;
let alice: string;
let bob: string;
let aliceUsd: string;
let aliceUsd2: string;
let bobUsd: string;
let bobJpy: string;

const serviceCaller: Caller = { client_id: 'bank-backend', role: 'service', customer_id: null };
const operator: Caller = { client_id: 'ops-console', role: 'operator', customer_id: null };
let aliceApp: Caller;
let bobApp: Caller;

beforeAll(async () => {
  database = await createTestDatabase();
  service = createTransferService({ db: database.db, wait_poll_interval_ms_max: 50 });
  alice = await seedCustomer(database.pool);
  bob = await seedCustomer(database.pool);
  aliceUsd = await seedAccount(database.pool, { customer_id: alice, posted_credits: '100' });
  aliceUsd2 = await seedAccount(database.pool, { customer_id: alice });
  bobUsd = await seedAccount(database.pool, { customer_id: bob });
  bobJpy = await seedAccount(database.pool, { customer_id: bob, currency: 'JPY' });
  aliceApp = { client_id: 'alice-app', role: 'customer', customer_id: alice };
  bobApp = { client_id: 'bob-app', role: 'customer', customer_id: bob };
});

afterAll(async () => {
  await database.drop();
});

/** Runs `work` while another transaction holds the idempotency lock of (client, key), as a request in progress does. */
async function whileKeyHeld(client_id: string, key: string, work: () => Promise<void>): Promise<void> {
  const holder = await database.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [
      advisoryLockKey(client_id, key).toString(),
    ]);
    await work();
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
}

function command(caller: Caller, path: string, body: unknown, key: string = randomUUID()): MoneyCommand {
  return {
    caller,
    request_id: `req-${randomUUID()}`,
    idempotency_key: key,
    request: { method: 'POST', path, body },
  };
}

function transferBody(overrides: Record<string, unknown> = {}) {
  return {
    source_account_id: aliceUsd,
    destination_account_id: bobUsd,
    amount: '12.50',
    currency: 'USD',
    ...overrides,
  };
}

async function createTransfer(
  caller: Caller,
  body: Record<string, unknown>,
  key?: string,
): Promise<CommandResult> {
  return service.createTransfer(command(caller, '/v1/transfers', body, key), body as never);
}

function bodyOf(result: CommandResult): TransferView {
  if (!result.ok) throw new Error(`expected success, got ${result.error}: ${result.message}`);
  return JSON.parse(result.response.body) as TransferView;
}

describe('createTransfer', () => {
  it('accepts a transfer: one transaction writes the transfer, its screening job and the stored response', async () => {
    const before = await writtenRows(database.pool);
    const body = transferBody({ description: 'rent', metadata: { invoice: 7 } });
    const result = await createTransfer(serviceCaller, body);
    expect(result).toMatchObject({ ok: true, replayed: false, response: { status: 202 } });
    const transfer = bodyOf(result);
    expect(transfer).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      kind: 'transfer',
      source_account_id: aliceUsd,
      destination_account_id: bobUsd,
      amount: '12.50',
      currency: 'USD',
      status: 'received',
      status_reason: null,
      description: 'rent',
      metadata: { invoice: 7 },
      hold: false,
      hold_expires_at: null,
      captured_amount: null,
      reverses_transfer_id: null,
      batch_id: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: expect.stringMatching(/\.\d{3}Z$/),
      posted_at: null,
    });
    expect(transfer.id[14]).toBe('7'); // UUIDv7
    if (!result.ok) return;
    expect(result.response.headers).toEqual({ location: `/v1/transfers/${transfer.id}` });

    const after = await writtenRows(database.pool);
    expect(after).toEqual({
      ...before,
      transfers: before.transfers + 1,
      outbox: before.outbox + 1,
      idempotency: before.idempotency + 1,
    });
    const { rows: outbox } = await database.pool.query(
      `SELECT queue, job_name, job_id, payload, request_id, published_at FROM outbox_messages WHERE job_id = $1`,
      [`screen-${transfer.id}`],
    );
    expect(outbox).toEqual([
      {
        queue: 'screening',
        job_name: 'screen',
        job_id: `screen-${transfer.id}`,
        payload: { transfer_id: transfer.id, request_id: expect.stringMatching(/^req-/) },
        request_id: expect.stringMatching(/^req-/),
        published_at: null,
      },
    ]);
    const { rows: stored } = await database.pool.query(
      `SELECT response_status, response_body, response_headers, expires_at - created_at >= interval '24 hours' AS kept_a_day
       FROM idempotency_keys WHERE client_id = 'bank-backend' AND response_body LIKE $1`,
      [`%${transfer.id}%`],
    );
    expect(stored).toEqual([
      {
        response_status: 202,
        response_body: result.response.body,
        response_headers: result.response.headers,
        kept_a_day: true,
      },
    ]);
  });

  it('formats amounts to the currency scale', async () => {
    const jpy = await seedAccount(database.pool, { customer_id: alice, currency: 'JPY' });
    expect(bodyOf(await createTransfer(serviceCaller, transferBody({ amount: '1.5' }))).amount).toBe('1.50');
    const yen = bodyOf(
      await createTransfer(
        serviceCaller,
        transferBody({
          source_account_id: jpy,
          destination_account_id: bobJpy,
          amount: '1000',
          currency: 'JPY',
        }),
      ),
    );
    expect(yen.amount).toBe('1000');
  });

  it.each([
    ['a number', { amount: 12.5 }, '/amount'],
    ['too many decimals for USD', { amount: '1.001' }, '/amount'],
    ['a negative amount', { amount: '-1' }, '/amount'],
    ['exponent notation', { amount: '1e3' }, '/amount'],
    ['zero', { amount: '0.00' }, '/amount'],
    ['an unknown currency', { currency: 'XYZ' }, '/currency'],
    ['the same account on both sides', { destination_account_id: undefined }, '/destination_account_id'],
    ['a malformed account id', { source_account_id: 'not-a-uuid' }, '/source_account_id'],
    ['an expiry on a non-hold', { hold_expires_in_seconds: 60 }, '/hold_expires_in_seconds'],
    [
      'a hold that never expires',
      { hold: true, hold_expires_in_seconds: 10 ** 9 },
      '/hold_expires_in_seconds',
    ],
  ])('refuses %s with validation_failed and writes nothing', async (_name, overrides, path) => {
    const before = await writtenRows(database.pool);
    const body = transferBody(overrides);
    if ('destination_account_id' in overrides) body.destination_account_id = aliceUsd;
    const result = await createTransfer(serviceCaller, body);
    expect(result).toMatchObject({
      ok: false,
      error: 'validation_failed',
      errors: [expect.objectContaining({ path })],
    });
    expect(await writtenRows(database.pool)).toEqual(before);
  });

  it('answers 404 for an unknown account and writes nothing', async () => {
    const before = await writtenRows(database.pool);
    expect(
      await createTransfer(serviceCaller, transferBody({ destination_account_id: uuidv7() })),
    ).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    expect(await createTransfer(serviceCaller, transferBody({ source_account_id: uuidv7() }))).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    expect(await writtenRows(database.pool)).toEqual(before);
  });

  it('lets a customer send only from its own accounts (others are 404) to anyone', async () => {
    expect(bodyOf(await createTransfer(aliceApp, transferBody())).source_account_id).toBe(aliceUsd);
    expect(await createTransfer(bobApp, transferBody())).toMatchObject({ ok: false, error: 'not_found' });
    expect(await createTransfer({ ...bobApp, customer_id: null }, transferBody())).toMatchObject({
      ok: false,
      error: 'forbidden',
    });
  });

  it('refuses read-only roles', async () => {
    expect(await createTransfer(operator, transferBody())).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await createTransfer({ ...operator, role: 'compliance' }, transferBody())).toMatchObject({
      ok: false,
      error: 'forbidden',
    });
    expect(await createTransfer({ ...operator, role: 'mystery' }, transferBody())).toMatchObject({
      ok: false,
      error: 'forbidden',
    });
  });

  it('creates holds that expire after the requested time (default 7 days)', async () => {
    const short = bodyOf(
      await createTransfer(serviceCaller, transferBody({ hold: true, hold_expires_in_seconds: 60 })),
    );
    expect(short.hold).toBe(true);
    expect(Date.parse(short.hold_expires_at ?? '') - Date.parse(short.created_at)).toBe(60_000);
    const long = bodyOf(await createTransfer(serviceCaller, transferBody({ hold: true })));
    expect(Date.parse(long.hold_expires_at ?? '') - Date.parse(long.created_at)).toBe(7 * 24 * 3600 * 1000);
    // The expiry job is written with the hold, due shortly after it expires.
    const { rows } = await database.pool.query(
      `SELECT queue, job_name, available_at FROM outbox_messages WHERE job_id = $1`,
      [`expire-hold-${short.id}`],
    );
    expect(rows).toEqual([{ queue: 'hold-expiry', job_name: 'expire-hold', available_at: expect.any(Date) }]);
    expect((rows[0]?.available_at as Date).getTime() - Date.parse(short.hold_expires_at ?? '')).toBe(1_000);
  });
});

describe('idempotency', () => {
  it('replays the stored response byte for byte and does the work once', async () => {
    const key = randomUUID();
    const first = await createTransfer(serviceCaller, transferBody(), key);
    const before = await writtenRows(database.pool);
    // Same body with its keys in another order is the same request.
    const reordered = {
      currency: 'USD',
      amount: '12.50',
      destination_account_id: bobUsd,
      source_account_id: aliceUsd,
    };
    const second = await createTransfer(serviceCaller, reordered, key);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.replayed).toBe(true);
    expect(second.response).toEqual(first.response);
    expect(await writtenRows(database.pool)).toEqual(before);
  });

  it('refuses the same key with a different body (422) or path, and keys are per client', async () => {
    const key = randomUUID();
    const first = bodyOf(await createTransfer(serviceCaller, transferBody(), key));
    const before = await writtenRows(database.pool);
    expect(await createTransfer(serviceCaller, transferBody({ amount: '12.51' }), key)).toMatchObject({
      ok: false,
      error: 'idempotency_key_reused',
    });
    const deposit = { account_id: aliceUsd, amount: '12.50', currency: 'USD' };
    expect(
      await service.createDeposit(command(serviceCaller, '/v1/deposits', deposit, key), deposit),
    ).toMatchObject({
      ok: false,
      error: 'idempotency_key_reused',
    });
    expect(await writtenRows(database.pool)).toEqual(before);
    // Another client's identical key is its own.
    const other = bodyOf(
      await createTransfer({ ...serviceCaller, client_id: 'other-bank' }, transferBody(), key),
    );
    expect(other.id).not.toBe(first.id);
  });

  it('lets concurrent requests with one key do the work exactly once', async () => {
    const key = randomUUID();
    const before = await writtenRows(database.pool);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => createTransfer(serviceCaller, transferBody(), key)),
    );
    const fresh = results.filter((result) => result.ok && !result.replayed);
    expect(fresh).toHaveLength(1);
    for (const result of results) {
      if (result.ok) expect(result.response).toEqual(fresh[0]?.ok && fresh[0].response);
      else expect(result.error).toBe('idempotency_request_in_progress');
    }
    const after = await writtenRows(database.pool);
    expect(after.transfers).toBe(before.transfers + 1);
    expect(after.outbox).toBe(before.outbox + 1);
  });

  it('answers 409 in progress while another transaction holds the key, and writes nothing', async () => {
    const key = randomUUID();
    await whileKeyHeld(serviceCaller.client_id, key, async () => {
      const before = await writtenRows(database.pool);
      expect(await createTransfer(serviceCaller, transferBody(), key)).toMatchObject({
        ok: false,
        error: 'idempotency_request_in_progress',
      });
      expect(await writtenRows(database.pool)).toEqual(before);
    });
    expect(await createTransfer(serviceCaller, transferBody(), key)).toMatchObject({
      ok: true,
      replayed: false,
    });
  });

  it('refuses a key a batch used, for a single transfer, even one naming an unknown account', async () => {
    const key = randomUUID();
    const batch = { transfers: [transferBody()] };
    const first = await service.createBatch(command(serviceCaller, '/v1/transfers/batch', batch, key), batch);
    expect(first).toMatchObject({ ok: true, replayed: false });
    const before = await writtenRows(database.pool);
    for (const body of [transferBody(), transferBody({ destination_account_id: uuidv7() })]) {
      expect(await createTransfer(serviceCaller, body, key)).toMatchObject({
        ok: false,
        error: 'idempotency_key_reused',
      });
    }
    expect(await writtenRows(database.pool)).toEqual(before);
  });

  it('replays a single transfer for a retry that arrives after the key was claimed elsewhere', async () => {
    // The first request commits through one statement; a retry with the same key and body replays it
    // from any instance, byte for byte, writing nothing.
    const key = randomUUID();
    const fresh = await createTransfer(serviceCaller, transferBody(), key);
    const other = createTransferService({ db: database.db });
    const before = await writtenRows(database.pool);
    const body = transferBody();
    const retried = await other.createTransfer(
      command(serviceCaller, '/v1/transfers', body, key),
      body as never,
    );
    expect(retried).toMatchObject({ ok: true, replayed: true });
    expect(retried.ok && retried.response).toEqual(fresh.ok && fresh.response);
    expect(await writtenRows(database.pool)).toEqual(before);
  });

  it('keeps nothing when the transaction fails before commit, so a retry does the work', async () => {
    const key = randomUUID();
    const body = transferBody();
    const before = await writtenRows(database.pool);
    const crashing: MoneyCommand = {
      ...command(serviceCaller, '/v1/transfers', body, key),
      render: () => {
        throw new Error('crash before commit');
      },
    };
    await expect(service.createTransfer(crashing, body)).rejects.toThrow('crash before commit');
    expect(await writtenRows(database.pool)).toEqual(before);
    const retry = await createTransfer(serviceCaller, body, key);
    expect(retry).toMatchObject({ ok: true, replayed: false });
  });

  it('stores nothing for refusals, so a corrected request may reuse the key', async () => {
    const key = randomUUID();
    expect(
      await createTransfer(serviceCaller, transferBody({ destination_account_id: uuidv7() }), key),
    ).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    expect(await createTransfer(serviceCaller, transferBody(), key)).toMatchObject({
      ok: true,
      replayed: false,
    });
  });

  it('forgets expired keys', async () => {
    const key = randomUUID();
    const first = bodyOf(await createTransfer(serviceCaller, transferBody(), key));
    await database.pool.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const second = bodyOf(await createTransfer(serviceCaller, transferBody({ amount: '1.00' }), key));
    expect(second.id).not.toBe(first.id);
  });
});

describe('shared accept statements', () => {
  /** A service of its own whose accept statements report their sizes. */
  function observedService(): { service: TransferService; batches: FinishedBatch[] } {
    const batches: FinishedBatch[] = [];
    return {
      service: createTransferService({
        db: database.db,
        accept_batch_metrics: (batch) => batches.push(batch),
      }),
      batches,
    };
  }

  /** Exactly `count` accepts were written since `before`: a transfer, its job and its key each. */
  async function expectAccepted(
    before: Awaited<ReturnType<typeof writtenRows>>,
    count: number,
  ): Promise<void> {
    expect(await writtenRows(database.pool)).toEqual({
      ...before,
      transfers: before.transfers + count,
      outbox: before.outbox + count,
      idempotency: before.idempotency + count,
    });
  }

  function accept(on: TransferService, body: Record<string, unknown>, key: string = randomUUID()) {
    return on.createTransfer(command(serviceCaller, '/v1/transfers', body, key), body as never);
  }

  it('writes concurrent accepts together, each with its own transfer, job, key and response', async () => {
    const { service: shared, batches } = observedService();
    bodyOf(await accept(shared, transferBody())); // the parties' facts are cached from here on
    batches.length = 0;
    const before = await writtenRows(database.pool);
    const keys = Array.from({ length: 40 }, () => randomUUID());
    const results = await Promise.all(
      keys.map((key, index) => accept(shared, transferBody({ amount: `${index + 1}.00` }), key)),
    );

    expect(batches.reduce((sum, batch) => sum + batch.keys, 0)).toBe(40);
    expect(Math.max(...batches.map((batch) => batch.keys))).toBeGreaterThan(1);
    expect(Math.max(...batches.map((batch) => batch.keys))).toBeLessThanOrEqual(32);
    const transfers = results.map(bodyOf);
    expect(transfers.map((transfer) => transfer.amount)).toEqual(
      keys.map((_key, index) => `${index + 1}.00`),
    );
    await expectAccepted(before, 40);
    // Each key answers its own transfer on a retry.
    const retried = await Promise.all(
      keys.map((key, index) => accept(shared, transferBody({ amount: `${index + 1}.00` }), key)),
    );
    expect(retried.map((result) => result.ok && result.replayed)).toEqual(keys.map(() => true));
    expect(retried.map(bodyOf).map((transfer) => transfer.id)).toEqual(
      transfers.map((transfer) => transfer.id),
    );
    const { rows } = await database.pool.query<{ job_id: string }>(
      `SELECT job_id FROM outbox_messages WHERE job_id = ANY($1::text[])`,
      [transfers.map((transfer) => `screen-${transfer.id}`)],
    );
    expect(rows).toHaveLength(40);
  });

  it('stores what a lone accept would: every field, the hold expiry job and the audit record, whatever the characters', async () => {
    const { service: shared, batches } = observedService();
    bodyOf(await accept(shared, transferBody()));
    batches.length = 0;
    // Quotes, backslashes, braces, commas and NULL spelled out are what an array literal must escape.
    const awkward = 'say "hi", {x} \\ \\" NULL ünïcødé 🏦';
    const bodies = [
      transferBody({
        amount: '1.00',
        description: awkward,
        metadata: { note: awkward, nested: { list: [1, 'two', null] } },
      }),
      transferBody({ amount: '2.00' }),
      transferBody({ amount: '3.00', hold: true, hold_expires_in_seconds: 120, description: 'NULL' }),
    ];
    const commands = bodies.map((body) => ({
      ...command(serviceCaller, '/v1/transfers', body),
      audit_entry: (status: number) => ({
        actor: 'audited-service',
        role: 'service',
        action: 'POST /v1/transfers',
        resource: `/v1/transfers "${awkward}"`,
        request_id: `audit-${randomUUID()}`,
        outcome: status,
      }),
    }));
    const accepted = (
      await Promise.all(commands.map((each, index) => shared.createTransfer(each, bodies[index] as never)))
    ).map(bodyOf);

    expect(batches.map((batch) => batch.keys)).toEqual([3]);
    expect(accepted.map((transfer) => [transfer.description, transfer.metadata])).toEqual([
      [awkward, { note: awkward, nested: { list: [1, 'two', null] } }],
      [null, {}],
      ['NULL', {}],
    ]);
    for (const transfer of accepted) {
      // What was answered is what was stored.
      expect(await shared.getTransfer(serviceCaller, transfer.id)).toEqual({ ok: true, value: transfer });
    }
    const held = accepted[2]!;
    expect(Date.parse(held.hold_expires_at ?? '') - Date.parse(held.created_at)).toBe(120_000);
    const { rows: jobs } = await database.pool.query<{ job_id: string; delayed: boolean }>(
      `SELECT job_id, available_at > now() + interval '100 seconds' AS delayed FROM outbox_messages
       WHERE payload->>'transfer_id' = ANY($1::text[]) ORDER BY id`,
      [accepted.map((transfer) => transfer.id)],
    );
    expect(jobs).toEqual([
      ...accepted.map((transfer) => ({ job_id: `screen-${transfer.id}`, delayed: false })),
      { job_id: `expire-hold-${held.id}`, delayed: true },
    ]);
    const { rows: audit } = await database.pool.query<{ resource: string; outcome: number }>(
      `SELECT resource, outcome FROM audit_records WHERE actor = 'audited-service' ORDER BY id`,
    );
    expect(audit).toEqual(accepted.map(() => ({ resource: `/v1/transfers "${awkward}"`, outcome: 202 })));
  });

  it('answers each request of one statement for itself: fresh, replayed, reused and in progress', async () => {
    const { service: shared, batches } = observedService();
    const usedKey = randomUUID();
    const used = await accept(shared, transferBody({ amount: '3.00' }), usedKey);
    const heldKey = randomUUID();
    await whileKeyHeld(serviceCaller.client_id, heldKey, async () => {
      batches.length = 0;
      const before = await writtenRows(database.pool);
      const [fresh, replayed, reused, held] = await Promise.all([
        accept(shared, transferBody({ amount: '4.00' })),
        accept(shared, transferBody({ amount: '3.00' }), usedKey),
        accept(shared, transferBody({ amount: '5.00' }), usedKey),
        accept(shared, transferBody({ amount: '6.00' }), heldKey),
      ]);
      expect(batches.map((batch) => batch.keys)).toEqual([4]);
      expect(bodyOf(fresh!).amount).toBe('4.00');
      expect(replayed).toMatchObject({ ok: true, replayed: true });
      expect(replayed!.ok && replayed!.response).toEqual(used.ok && used.response);
      // The two requests with usedKey are in one statement: the later one is told the key is busy.
      expect(reused).toMatchObject({ ok: false, error: 'idempotency_request_in_progress' });
      expect(held).toMatchObject({ ok: false, error: 'idempotency_request_in_progress' });
      await expectAccepted(before, 1);
    });
    expect(await accept(shared, transferBody({ amount: '5.00' }), usedKey)).toMatchObject({
      ok: false,
      error: 'idempotency_key_reused',
    });
  });

  it('runs a statement one accept breaks again accept by accept: only that one fails, and it leaves nothing', async () => {
    const { service: shared, batches } = observedService();
    bodyOf(await accept(shared, transferBody()));
    await database.pool.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.description = 'poison' THEN RAISE EXCEPTION 'poisoned transfer'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    const poisonKey = randomUUID();
    try {
      batches.length = 0;
      const before = await writtenRows(database.pool);
      const results = await Promise.allSettled([
        accept(shared, transferBody({ amount: '1.00' })),
        accept(shared, transferBody({ amount: '2.00', description: 'poison' }), poisonKey),
        accept(shared, transferBody({ amount: '3.00' })),
      ]);
      expect(batches).toMatchObject([{ keys: 3, outcome: 'split' }]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      await expectAccepted(before, 2);
    } finally {
      await database.pool.query('DROP TRIGGER refuse_poison ON transfers; DROP FUNCTION refuse_poison();');
    }
    // Nothing of the failed accept was kept: its key does the work on a retry.
    expect(
      await accept(shared, transferBody({ amount: '2.00', description: 'poison' }), poisonKey),
    ).toMatchObject({
      ok: true,
      replayed: false,
    });
  });
});

describe('deposits and withdrawals', () => {
  it('use the currency settlement account, created once on demand', async () => {
    const body = { account_id: bobJpy, amount: '500', currency: 'JPY', description: 'cash in' };
    const deposit = bodyOf(await service.createDeposit(command(serviceCaller, '/v1/deposits', body), body));
    const withdrawal = bodyOf(
      await service.createWithdrawal(command(serviceCaller, '/v1/withdrawals', body), body),
    );
    const { rows } = await database.pool.query(
      `SELECT id::text FROM accounts WHERE kind = 'settlement' AND currency = 'JPY'`,
    );
    expect(rows).toHaveLength(1);
    const settlement = rows[0]?.id as string;
    expect(deposit).toMatchObject({
      kind: 'deposit',
      source_account_id: settlement,
      destination_account_id: bobJpy,
      amount: '500',
    });
    expect(withdrawal).toMatchObject({
      kind: 'withdrawal',
      source_account_id: bobJpy,
      destination_account_id: settlement,
    });
  });

  it('agree on one settlement account when created concurrently', async () => {
    const customer = await seedCustomer(database.pool);
    const account = await seedAccount(database.pool, { customer_id: customer, currency: 'KWD' });
    const body = { account_id: account, amount: '1.250', currency: 'KWD' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        service.createDeposit(command(serviceCaller, '/v1/deposits', body), body),
      ),
    );
    const sources = new Set(results.map((result) => bodyOf(result).source_account_id));
    expect(sources.size).toBe(1);
  });

  it('refuse customers, unknown accounts and settlement accounts', async () => {
    const body = { account_id: aliceUsd, amount: '5.00', currency: 'USD' };
    expect(await service.createDeposit(command(aliceApp, '/v1/deposits', body), body)).toMatchObject({
      error: 'forbidden',
    });
    const unknown = { ...body, account_id: uuidv7() };
    expect(
      await service.createWithdrawal(command(serviceCaller, '/v1/withdrawals', unknown), unknown),
    ).toMatchObject({
      error: 'not_found',
    });
    const { rows } = await database.pool.query(
      `SELECT id::text FROM accounts WHERE kind = 'settlement' LIMIT 1`,
    );
    const settlement = { ...body, account_id: rows[0]?.id as string, currency: 'JPY', amount: '5' };
    expect(
      await service.createDeposit(command(serviceCaller, '/v1/deposits', settlement), settlement),
    ).toMatchObject({
      error: 'validation_failed',
    });
  });
});

describe('batches', () => {
  it('accepts an atomic batch: shared batch_id, one screening job for the batch', async () => {
    const input = {
      atomic: true,
      transfers: [
        transferBody(),
        transferBody({ source_account_id: bobUsd, destination_account_id: aliceUsd2, amount: '1.00' }),
      ],
    };
    const result = await service.createBatch(command(serviceCaller, '/v1/transfers/batch', input), input);
    if (!result.ok) throw new Error(result.message);
    const batch = JSON.parse(result.response.body) as {
      id: string;
      atomic: boolean;
      transfers: TransferView[];
    };
    expect(batch.atomic).toBe(true);
    expect(batch.transfers.map((transfer) => transfer.amount)).toEqual(['12.50', '1.00']);
    expect(batch.transfers.every((transfer) => transfer.batch_id === batch.id)).toBe(true);
    const { rows } = await database.pool.query(
      `SELECT job_id, payload FROM outbox_messages WHERE payload->>'batch_id' = $1`,
      [batch.id],
    );
    expect(rows).toEqual([
      { job_id: `screen-batch-${batch.id}`, payload: { batch_id: batch.id, request_id: expect.any(String) } },
    ]);
    const { rows: perTransfer } = await database.pool.query(
      `SELECT 1 FROM outbox_messages WHERE job_id = ANY($1)`,
      [batch.transfers.map((transfer) => `screen-${transfer.id}`)],
    );
    expect(perTransfer).toHaveLength(0);
  });

  it('accepts a non-atomic batch of 1000 with one screening job per transfer', async () => {
    const input = {
      atomic: false,
      transfers: Array.from({ length: 1000 }, (_, index) => transferBody({ amount: `${index + 1}.00` })),
    };
    const result = await service.createBatch(command(serviceCaller, '/v1/transfers/batch', input), input);
    if (!result.ok) throw new Error(result.message);
    const batch = JSON.parse(result.response.body) as { id: string; transfers: TransferView[] };
    expect(batch.transfers).toHaveLength(1000);
    expect(batch.transfers[999]?.amount).toBe('1000.00');
    expect(batch.transfers.every((transfer) => transfer.batch_id === batch.id)).toBe(true);
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM outbox_messages WHERE job_id = ANY($1)`,
      [batch.transfers.map((transfer) => `screen-${transfer.id}`)],
    );
    expect(rows[0]?.n).toBe(1000);
  });

  it('refuses the whole batch when one item is wrong, writing nothing', async () => {
    const before = await writtenRows(database.pool);
    const bad = { transfers: [transferBody(), transferBody({ amount: '1.001' })] };
    expect(await service.createBatch(command(serviceCaller, '/v1/transfers/batch', bad), bad)).toMatchObject({
      error: 'validation_failed',
      errors: [{ path: '/transfers/1/amount', message: expect.any(String) }],
    });
    const unknown = { transfers: [transferBody(), transferBody({ destination_account_id: uuidv7() })] };
    expect(
      await service.createBatch(command(serviceCaller, '/v1/transfers/batch', unknown), unknown),
    ).toMatchObject({
      error: 'not_found',
    });
    const tooMany = { transfers: Array.from({ length: 1001 }, () => transferBody()) };
    expect(
      await service.createBatch(command(serviceCaller, '/v1/transfers/batch', tooMany), tooMany),
    ).toMatchObject({
      error: 'validation_failed',
    });
    expect(await writtenRows(database.pool)).toEqual(before);
  });
});

describe('holds', () => {
  async function pendingHold(amount = '40.00'): Promise<TransferView> {
    const hold = bodyOf(await createTransfer(serviceCaller, transferBody({ amount, hold: true })));
    await forceStatus(database.pool, hold.id, 'pending');
    return hold;
  }

  it('captures part of a pending hold once and queues the ledger', async () => {
    const hold = await pendingHold();
    const path = `/v1/transfers/${hold.id}/capture`;
    expect(
      await service.captureHold(command(serviceCaller, path, { amount: '40.01' }), hold.id, {
        amount: '40.01',
      }),
    ).toMatchObject({
      error: 'validation_failed',
      errors: [{ path: '/amount' }],
    });
    const captured = bodyOf(
      await service.captureHold(command(serviceCaller, path, { amount: '25.00' }), hold.id, {
        amount: '25.00',
      }),
    );
    expect(captured.status).toBe('pending');
    const { rows } = await database.pool.query(
      `SELECT hold_action::text, hold_action_amount::text FROM transfers WHERE id = $1`,
      [hold.id],
    );
    expect(rows).toEqual([{ hold_action: 'capture', hold_action_amount: '25.0000' }]);
    const { rows: outbox } = await database.pool.query(
      `SELECT queue, job_name FROM outbox_messages WHERE job_id = $1`,
      [`advance-${hold.id}-capture`],
    );
    expect(outbox).toEqual([{ queue: 'ledger', job_name: 'advance' }]);
    expect(await service.captureHold(command(serviceCaller, path, {}), hold.id, {})).toMatchObject({
      error: 'invalid_state',
    });
    expect(
      await service.voidHold(command(serviceCaller, `/v1/transfers/${hold.id}/void`, null), hold.id),
    ).toMatchObject({
      error: 'invalid_state',
    });
  });

  it('captures the full amount when none is given; exactly one of racing commands wins', async () => {
    const hold = await pendingHold();
    const results = await Promise.all([
      service.captureHold(command(serviceCaller, `/v1/transfers/${hold.id}/capture`, {}), hold.id, {}),
      service.voidHold(command(serviceCaller, `/v1/transfers/${hold.id}/void`, null), hold.id),
      service.voidHold(command(serviceCaller, `/v1/transfers/${hold.id}/void`, null), hold.id),
    ]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.error)).toEqual([
      'invalid_state',
      'invalid_state',
    ]);
  });

  it('voids a pending hold, and refuses holds that are not pending, expired, or not holds', async () => {
    const hold = await pendingHold();
    bodyOf(await service.voidHold(command(serviceCaller, `/v1/transfers/${hold.id}/void`, null), hold.id));
    const { rows } = await database.pool.query(
      `SELECT hold_action::text, hold_action_amount FROM transfers WHERE id = $1`,
      [hold.id],
    );
    expect(rows).toEqual([{ hold_action: 'void', hold_action_amount: null }]);

    const received = bodyOf(await createTransfer(serviceCaller, transferBody({ hold: true })));
    expect(await service.voidHold(command(serviceCaller, '/void', null), received.id)).toMatchObject({
      error: 'invalid_state',
    });
    const plain = bodyOf(await createTransfer(serviceCaller, transferBody()));
    expect(await service.captureHold(command(serviceCaller, '/capture', {}), plain.id, {})).toMatchObject({
      error: 'invalid_state',
    });
    const expired = await pendingHold();
    await database.pool.query(
      `UPDATE transfers SET hold_expires_at = now() - interval '1 second' WHERE id = $1`,
      [expired.id],
    );
    expect(await service.captureHold(command(serviceCaller, '/capture', {}), expired.id, {})).toMatchObject({
      error: 'invalid_state',
    });
  });

  it('hides holds from customers who are not a party (404) and refuses parties (403)', async () => {
    const hold = await pendingHold();
    const stranger = await seedCustomer(database.pool);
    expect(
      await service.voidHold(
        command({ client_id: 'x', role: 'customer', customer_id: stranger }, '/void', null),
        hold.id,
      ),
    ).toMatchObject({ error: 'not_found' });
    expect(await service.voidHold(command(aliceApp, '/void', null), hold.id)).toMatchObject({
      error: 'forbidden',
    });
    expect(await service.voidHold(command(serviceCaller, '/void', null), uuidv7())).toMatchObject({
      error: 'not_found',
    });
  });
});

describe('reversals', () => {
  it('reverse a posted transfer once, moving the captured amount back', async () => {
    const original = bodyOf(
      await createTransfer(serviceCaller, transferBody({ amount: '30.00', hold: true })),
    );
    await forceStatus(database.pool, original.id, 'posted', { captured_amount: '20.00' });
    const path = `/v1/transfers/${original.id}/reverse`;
    const reversal = bodyOf(
      await service.reverseTransfer(command(serviceCaller, path, { reason: 'refund' }), original.id, {
        reason: 'refund',
      }),
    );
    expect(reversal).toMatchObject({
      kind: 'reversal',
      source_account_id: bobUsd,
      destination_account_id: aliceUsd,
      amount: '20.00',
      status: 'received',
      description: 'refund',
      reverses_transfer_id: original.id,
    });
    expect(
      await service.reverseTransfer(command(serviceCaller, path, { reason: 'again' }), original.id, {
        reason: 'again',
      }),
    ).toMatchObject({
      error: 'invalid_state',
    });
  });

  it('let exactly one of concurrent reversals through', async () => {
    const original = bodyOf(await createTransfer(serviceCaller, transferBody()));
    await forceStatus(database.pool, original.id, 'posted');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        service.reverseTransfer(
          command(serviceCaller, `/v1/transfers/${original.id}/reverse`, { reason: 'dup' }),
          original.id,
          { reason: 'dup' },
        ),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(
      new Set(results.filter((result) => !result.ok).map((result) => !result.ok && result.error)),
    ).toEqual(new Set(['invalid_state']));
  });

  it('lose to a reversal committed by another writer between the check and the insert (unique key backstop)', async () => {
    const original = bodyOf(await createTransfer(serviceCaller, transferBody()));
    await forceStatus(database.pool, original.id, 'posted');
    const other = await database.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id, reverses_transfer_id)
         VALUES ($1, 'reversal', $2, $3, 12.5, 'USD', 'elsewhere', $4)`,
        [uuidv7(), bobUsd, aliceUsd, original.id],
      );
      // Our insert waits on the other writer's uncommitted unique key, then fails once it commits.
      const racing = service.reverseTransfer(
        command(serviceCaller, `/v1/transfers/${original.id}/reverse`, { reason: 'race' }),
        original.id,
        { reason: 'race' },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query('COMMIT');
      expect(await racing).toMatchObject({ ok: false, error: 'invalid_state' });
    } finally {
      other.release();
    }
  });

  it('refuse transfers that are not posted, and an empty reason', async () => {
    const original = bodyOf(await createTransfer(serviceCaller, transferBody()));
    const path = `/v1/transfers/${original.id}/reverse`;
    expect(
      await service.reverseTransfer(command(serviceCaller, path, { reason: 'x' }), original.id, {
        reason: 'x',
      }),
    ).toMatchObject({
      error: 'invalid_state',
    });
    await forceStatus(database.pool, original.id, 'rejected');
    expect(
      await service.reverseTransfer(command(serviceCaller, path, { reason: 'x' }), original.id, {
        reason: 'x',
      }),
    ).toMatchObject({
      error: 'invalid_state',
    });
    expect(
      await service.reverseTransfer(command(serviceCaller, path, { reason: ' ' }), original.id, {
        reason: ' ',
      }),
    ).toMatchObject({
      error: 'validation_failed',
    });
  });
});

describe('queries', () => {
  it('shows a transfer to its parties and to staff roles, 404 to everyone else', async () => {
    const transfer = bodyOf(await createTransfer(serviceCaller, transferBody()));
    for (const caller of [serviceCaller, operator, aliceApp, bobApp, { ...operator, role: 'compliance' }]) {
      expect(await service.getTransfer(caller, transfer.id)).toEqual({ ok: true, value: transfer });
    }
    const stranger: Caller = {
      client_id: 's',
      role: 'customer',
      customer_id: await seedCustomer(database.pool),
    };
    expect(await service.getTransfer(stranger, transfer.id)).toMatchObject({ ok: false, error: 'not_found' });
    expect(await service.getTransfer({ ...stranger, role: 'mystery' }, transfer.id)).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    expect(await service.getTransfer(serviceCaller, 'not-a-uuid')).toMatchObject({
      ok: false,
      error: 'not_found',
    });
  });

  describe('lists', () => {
    let carol: Caller;
    let carolAccount: string;
    let carolOther: string;
    const created: TransferView[] = [];

    beforeEach(async () => {
      if (created.length > 0) return;
      const customer = await seedCustomer(database.pool);
      carol = { client_id: 'carol-app', role: 'customer', customer_id: customer };
      carolAccount = await seedAccount(database.pool, { customer_id: customer, posted_credits: '1000' });
      carolOther = await seedAccount(database.pool, { customer_id: customer });
      for (let index = 0; index < 7; index += 1) {
        const body =
          index % 2 === 0
            ? transferBody({ source_account_id: carolAccount, amount: `${index + 1}.00` })
            : transferBody({
                source_account_id: bobUsd,
                destination_account_id: carolOther,
                amount: `${index + 1}.00`,
              });
        created.push(bodyOf(await createTransfer(serviceCaller, body)));
      }
    });

    async function allPages(
      caller: Caller,
      query: { account_id?: string; status?: 'received' | 'posted'; limit: number },
    ) {
      const seen: TransferView[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const result = await service.listTransfers(caller, { ...query, cursor });
        if (!result.ok) throw new Error(result.message);
        expect(result.value.data.length).toBeLessThanOrEqual(query.limit);
        seen.push(...result.value.data);
        if (result.value.next_cursor === null) return seen;
        cursor = result.value.next_cursor;
      }
      throw new Error('too many pages');
    }

    it('pages newest first by id across an account, without gaps or repeats', async () => {
      const pages = await allPages(serviceCaller, { account_id: carolAccount, limit: 2 });
      expect(pages.map((transfer) => transfer.id)).toEqual(
        created
          .filter((transfer) => transfer.source_account_id === carolAccount)
          .map((transfer) => transfer.id)
          .reverse(),
      );
    });

    it('shows a customer the transfers of all its accounts, and 404 for an account not its own', async () => {
      const pages = await allPages(carol, { limit: 3 });
      expect(pages.map((transfer) => transfer.id)).toEqual(created.map((transfer) => transfer.id).reverse());
      expect(await service.listTransfers(carol, { account_id: bobUsd })).toMatchObject({
        ok: false,
        error: 'not_found',
      });
      expect(await service.listTransfers(serviceCaller, { account_id: uuidv7() })).toMatchObject({
        ok: false,
        error: 'not_found',
      });
    });

    it('filters by status and refuses foreign cursors and limits out of range', async () => {
      const target = created[3];
      if (target === undefined) throw new Error('no transfer');
      await forceStatus(database.pool, target.id, 'posted');
      const posted = await allPages(carol, { status: 'posted', limit: 50 });
      expect(posted.map((transfer) => transfer.id)).toEqual([target.id]);
      expect(await service.listTransfers(carol, { cursor: 'bm9wZQ' })).toMatchObject({
        error: 'validation_failed',
        errors: [{ path: '/cursor' }],
      });
      expect(await service.listTransfers(carol, { limit: 201 })).toMatchObject({
        error: 'validation_failed',
        errors: [{ path: '/limit' }],
      });
    });

    it('lists everything for staff roles', async () => {
      const result = await service.listTransfers(operator, { limit: 1 });
      expect(result).toMatchObject({
        ok: true,
        value: { data: [expect.any(Object)], next_cursor: expect.any(String) },
      });
    });
  });

  it('waits for a final status, or answers the current one when the time is up', async () => {
    const transfer = bodyOf(await createTransfer(serviceCaller, transferBody()));
    const started = Date.now();
    const timedOut = await service.waitForFinal(serviceCaller, transfer.id, { wait_seconds: 1 });
    expect(timedOut).toMatchObject({ ok: true, value: { status: 'received' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    setTimeout(() => void forceStatus(database.pool, transfer.id, 'posted'), 200);
    const waited = await service.waitForFinal(serviceCaller, transfer.id, { wait_seconds: 10 });
    expect(waited).toMatchObject({ ok: true, value: { status: 'posted', posted_at: expect.any(String) } });
    expect(Date.now() - started).toBeLessThan(5_000);

    const stranger: Caller = {
      client_id: 's',
      role: 'customer',
      customer_id: await seedCustomer(database.pool),
    };
    expect(await service.waitForFinal(stranger, transfer.id, { wait_seconds: 5 })).toMatchObject({
      ok: false,
      error: 'not_found',
    });
  });
});
