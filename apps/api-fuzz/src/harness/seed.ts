/**
 * A small bank for the fuzz campaign, built through the public APIs (customers, accounts, deposits,
 * transfers) and moved to its final states by the libraries the compliance and ledger workers run.
 * Three customers: alice and bob trade with each other; carol trades with nobody, so her token is the
 * "foreign" one for everything of alice and bob.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Role } from '@ledgerline/http';
import { createPostingEngine } from '@ledgerline/ledger';
import { jobs } from '@ledgerline/queue';
import { failJobs } from '@ledgerline/queue/testing';
import { createScreeningService } from '@ledgerline/screening';
import type { FuzzPlatform, ServiceName } from './platform';

export type CustomerName = 'alice' | 'bob' | 'carol';

/** Stable client ids per caller, so idempotency keys of one caller meet again. */
export function clientIdOf(role: Role, customer?: CustomerName): string {
  return customer === undefined ? `fuzz-${role}` : `fuzz-customer-${customer}`;
}

export interface SeededBank {
  customers: Readonly<Record<CustomerName, string>>;
  accounts: {
    alice_usd: string;
    alice_eur: string;
    bob_usd: string;
    /** USD, never funded: closing it succeeds. */
    bob_spare: string;
    carol_usd: string;
    usd_settlement: string;
  };
  transfers: {
    /** A posted deposit into alice_usd. */
    deposit_posted: string;
    /** alice_usd -> bob_usd, posted: reversible. */
    posted: string;
    /** alice_usd -> bob_usd, a pending hold: capturable and voidable. */
    pending_hold: string;
    /** bob_usd -> alice_usd, accepted and never screened. */
    received: string;
  };
  /** A large transfer alice_usd -> bob_usd that screening held, and its open compliance case. */
  compliance: { held_transfer: string; open_case: string; queued_report: string };
  /** A failed job in the ledger queue the ops API steers (the id of its job). */
  failed_job: string;
  /** Opaque cursors handed out by each list, to replay on the wrong list. */
  cursors: { accounts: string; entries: string; transfers: string; cases: string };
  /** An Idempotency-Key already used by `fuzz-service` for the first deposit. */
  used_idempotency_key: string;
  /** Ids owned by each customer (customer, accounts, transfers touching them). */
  owned_by: Readonly<Record<CustomerName, ReadonlySet<string>>>;
}

export async function seedBank(platform: FuzzPlatform): Promise<SeededBank> {
  const { tokens } = platform;
  const authorization = (role: Role, customer?: CustomerName, customer_id?: string) =>
    tokens.bearer(role, {
      client_id: clientIdOf(role, customer),
      ...(customer_id === undefined ? {} : { customer_id }),
    });

  async function call<T>(
    service: ServiceName,
    method: 'GET' | 'POST',
    url: string,
    options: { body?: Record<string, unknown>; auth?: string; key?: string } = {},
  ): Promise<T> {
    const response = await platform.apps[service].inject({
      method,
      url,
      headers: {
        authorization: options.auth ?? authorization('service'),
        ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
      },
      ...(options.body === undefined ? {} : { payload: options.body }),
    });
    assert.ok(
      response.statusCode >= 200 && response.statusCode < 300,
      `seeding ${method} ${url}: ${response.statusCode} ${response.body}`,
    );
    return response.json<T>();
  }

  const screening = createScreeningService({ db: platform.database.db });
  const engine = createPostingEngine({ db: platform.database.db, batch_size_max: 10 });
  /** What the workers do with an accepted transfer: screen it, then let the ledger advance it. */
  async function settle(transfer_id: string, expected: 'posted' | 'pending'): Promise<void> {
    assert.equal((await screening.screen(transfer_id)).outcome, 'approved');
    const [result] = await engine.advance([transfer_id]);
    assert.equal(result?.status, expected, `transfer ${transfer_id} did not become ${expected}`);
  }

  const customer = async (full_name: string) =>
    (await call<{ id: string }>('accounts', 'POST', '/v1/customers', { body: { full_name, country: 'US' } }))
      .id;
  // Independent steps run concurrently: seeding is most of this file's setup time on a busy machine.
  const [alice, bob, carol] = await Promise.all([
    customer('Alice Fuzz'),
    customer('Bob Fuzz'),
    customer('Carol Fuzz'),
  ]);
  const customers = { alice, bob, carol };

  const account = async (customer_id: string, currency: string) =>
    (await call<{ id: string }>('accounts', 'POST', '/v1/accounts', { body: { customer_id, currency } })).id;
  const [alice_usd, alice_eur, bob_usd, bob_spare, carol_usd] = await Promise.all([
    account(customers.alice, 'USD'),
    account(customers.alice, 'EUR'),
    account(customers.bob, 'USD'),
    account(customers.bob, 'USD'),
    account(customers.carol, 'USD'),
  ]);

  const used_idempotency_key: string = `seed-${randomUUID()}`;
  const deposit = async (
    account_id: string,
    amount: string,
    currency: string,
    key: string = randomUUID(),
  ) => {
    const { id } = await call<{ id: string }>('transactions', 'POST', '/v1/deposits', {
      body: { account_id, amount, currency, description: 'seed deposit' },
      key,
    });
    await settle(id, 'posted');
    return id;
  };
  const [deposit_posted, alice_eur_deposit, carol_deposit] = await Promise.all([
    deposit(alice_usd, '500.00', 'USD', used_idempotency_key),
    deposit(alice_eur, '50.00', 'EUR'),
    deposit(carol_usd, '20.00', 'USD'),
  ]);

  const aliceAuth = authorization('customer', 'alice', customers.alice);
  const transfer = async (body: Record<string, unknown>, auth: string) =>
    (await call<{ id: string }>('transactions', 'POST', '/v1/transfers', { body, auth, key: randomUUID() }))
      .id;
  const [posted, pending_hold, received] = await Promise.all([
    transfer(
      { source_account_id: alice_usd, destination_account_id: bob_usd, amount: '25.00', currency: 'USD' },
      aliceAuth,
    ).then(async (id) => {
      await settle(id, 'posted');
      return id;
    }),
    transfer(
      {
        source_account_id: alice_usd,
        destination_account_id: bob_usd,
        amount: '10.00',
        currency: 'USD',
        hold: true,
      },
      aliceAuth,
    ).then(async (id) => {
      await settle(id, 'pending');
      return id;
    }),
    transfer(
      { source_account_id: bob_usd, destination_account_id: alice_usd, amount: '1.00', currency: 'USD' },
      authorization('customer', 'bob', customers.bob),
    ),
  ]);

  // Held for review (>= 10,000, within alice's overdraft), with its case; an officer's report, queued.
  const { id: alice_overdrawn } = await call<{ id: string }>('accounts', 'POST', '/v1/accounts', {
    body: { customer_id: customers.alice, currency: 'USD', overdraft_limit: '50000.00' },
  });
  const held_transfer = await transfer(
    {
      source_account_id: alice_overdrawn,
      destination_account_id: bob_usd,
      amount: '12000.00',
      currency: 'USD',
    },
    aliceAuth,
  );
  assert.equal((await screening.screen(held_transfer)).outcome, 'held');
  // A second held transfer, so that the case list has a second page.
  const second_held = await transfer(
    {
      source_account_id: alice_overdrawn,
      destination_account_id: bob_usd,
      amount: '15000.00',
      currency: 'USD',
    },
    aliceAuth,
  );
  assert.equal((await screening.screen(second_held)).outcome, 'held');
  const cases = await call<{ data: Array<{ id: string; transfer_id: string }> }>(
    'compliance',
    'GET',
    '/v1/compliance/cases?status=open',
    { auth: authorization('compliance') },
  );
  const open_case = cases.data.find((item) => item.transfer_id === held_transfer)?.id;
  assert.ok(open_case !== undefined, 'the held transfer has no case');
  const { id: queued_report } = await call<{ id: string }>('compliance', 'POST', '/v1/compliance/reports', {
    body: { type: 'reconciliation', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
    auth: authorization('compliance'),
  });
  const failed = jobs.advanceTransfer(received, 'fuzz-seed');
  await failJobs({ ...platform.queues, specs: [failed] });

  const usd_settlement = (
    await call<{ source_account_id: string }>('transactions', 'GET', `/v1/transfers/${deposit_posted}`)
  ).source_account_id;
  const cursorOf = async (service: ServiceName, url: string) => {
    const { next_cursor } = await call<{ next_cursor: string | null }>(service, 'GET', url);
    assert.ok(next_cursor !== null, `${url} gave no next_cursor`);
    return next_cursor;
  };
  const [accountsCursor, entriesCursor, transfersCursor] = await Promise.all([
    cursorOf('accounts', '/v1/accounts?limit=1'),
    cursorOf('accounts', `/v1/accounts/${alice_usd}/entries?limit=1`),
    cursorOf('transactions', '/v1/transfers?limit=1'),
  ]);
  const casesCursor = await call<{ next_cursor: string | null }>(
    'compliance',
    'GET',
    '/v1/compliance/cases?limit=1',
    {
      auth: authorization('compliance'),
    },
  ).then(({ next_cursor }) => {
    assert.ok(next_cursor !== null, 'the case list gave no next_cursor');
    return next_cursor;
  });
  const cursors = {
    accounts: accountsCursor,
    entries: entriesCursor,
    transfers: transfersCursor,
    cases: casesCursor,
  };

  const shared = [deposit_posted, posted, pending_hold, received];
  return {
    customers,
    accounts: { alice_usd, alice_eur, bob_usd, bob_spare, carol_usd, usd_settlement },
    transfers: { deposit_posted, posted, pending_hold, received },
    compliance: { held_transfer, open_case, queued_report },
    failed_job: failed.job_id,
    cursors,
    used_idempotency_key,
    owned_by: {
      alice: new Set([
        customers.alice,
        alice_usd,
        alice_eur,
        alice_eur_deposit,
        alice_overdrawn,
        held_transfer,
        second_held,
        ...shared,
      ]),
      bob: new Set([
        customers.bob,
        bob_usd,
        bob_spare,
        posted,
        pending_hold,
        received,
        held_transfer,
        second_held,
      ]),
      carol: new Set([customers.carol, carol_usd, carol_deposit]),
    },
  };
}
