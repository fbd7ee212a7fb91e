import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { DEFAULT_COMPLIANCE_THRESHOLDS } from '../thresholds/compliance-thresholds';
import type { ScreenedTransfer, ScreeningDecision } from '../screening/screening.rules';
import { createAmlRules, type CustomerSanctionsStanding } from './aml-rules';

let database: TestDatabase;
let settlement_usd: string;

const HOUR_MS = 60 * 60 * 1_000;

beforeAll(async () => {
  database = await createTestDatabase();
  settlement_usd = uuidv7();
  await database.pool.query(`INSERT INTO accounts (id, currency, kind) VALUES ($1, 'USD', 'settlement')`, [
    settlement_usd,
  ]);
});
afterAll(() => database.drop());

async function customer(options: { country?: string; sanctions_status?: string } = {}): Promise<string> {
  const id = uuidv7();
  await database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country, sanctions_status)
     VALUES ($1, $2, $3, 'test', $4, $5::sanctions_status)`,
    [id, randomBytes(16), randomBytes(16), options.country ?? 'US', options.sanctions_status ?? 'clear'],
  );
  return id;
}

async function account(customer_id: string, currency = 'USD'): Promise<string> {
  const id = uuidv7();
  await database.pool.query(`INSERT INTO accounts (id, customer_id, currency) VALUES ($1, $2, $3)`, [
    id,
    customer_id,
    currency,
  ]);
  return id;
}

/** A transfer as the API would have accepted it `ago_ms` ago (its UUIDv7 and created_at agree). */
async function transfer(
  source_account_id: string,
  destination_account_id: string,
  amount: string,
  options: { ago_ms?: number; kind?: ScreenedTransfer['kind']; currency?: string } = {},
): Promise<ScreenedTransfer> {
  const created_at = new Date(Date.now() - (options.ago_ms ?? 0));
  const id = uuidv7({ msecs: created_at.getTime() });
  const kind = options.kind ?? 'transfer';
  const currency = options.currency ?? 'USD';
  await database.pool.query(
    `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id, created_at)
     VALUES ($1, $2::transfer_kind, $3, $4, $5::numeric, $6, 'test-client', $7)`,
    [id, kind, source_account_id, destination_account_id, amount, currency, created_at],
  );
  return {
    id,
    kind,
    source_account_id,
    destination_account_id,
    amount,
    currency,
    batch_id: null,
    client_id: 'test-client',
    created_at,
  };
}

const rules = () => createAmlRules({ db: database.db, thresholds: DEFAULT_COMPLIANCE_THRESHOLDS });

async function decisionOf(screened: ScreenedTransfer): Promise<ScreeningDecision> {
  const [decision] = await rules().evaluate([screened]);
  if (decision === undefined) throw new Error('no decision');
  return decision;
}

function rulesOf(decision: ScreeningDecision): string[] {
  return decision.decision === 'approve' ? [] : decision.hits.map((hit) => hit.rule);
}

describe('the AML rules', () => {
  it('approve an ordinary transfer between two customers', async () => {
    const [from, to] = [await account(await customer()), await account(await customer())];
    expect(await decisionOf(await transfer(from, to, '250.00'))).toEqual({ decision: 'approve' });
  });

  it('hold an amount of 10,000 or more, and not 9,999.99', async () => {
    const [from, to] = [await account(await customer()), await account(await customer())];
    const large = await decisionOf(await transfer(from, to, '10000.00'));
    expect(large).toEqual({
      decision: 'hold',
      hits: [{ rule: 'large_amount', detail: 'amount 10000.00 USD is at least 10000' }],
    });
    expect(await decisionOf(await transfer(from, to, '9999.99'))).toEqual({ decision: 'approve' });
  });

  it("hold a customer's third transfer between 8,000 and 9,999.99 within 24 h, across accounts and deposits", async () => {
    const originator = await customer();
    const [checking, savings] = [await account(originator), await account(originator)];
    const payee = await account(await customer());
    // More than 24 h before the deposit and the last transfer: counts for neither.
    await transfer(checking, payee, '9000.00', { ago_ms: 27 * HOUR_MS });
    // Below the range: does not count.
    await transfer(checking, payee, '7999.99', { ago_ms: 3 * HOUR_MS });
    const first = await transfer(checking, payee, '8000.00', { ago_ms: 20 * HOUR_MS });
    const deposit = await transfer(settlement_usd, savings, '9999.99', {
      ago_ms: 2 * HOUR_MS,
      kind: 'deposit',
    });
    expect(await decisionOf(first)).toEqual({ decision: 'approve' });
    expect(await decisionOf(deposit)).toEqual({ decision: 'approve' });
    const third = await decisionOf(await transfer(savings, payee, '8500.00'));
    expect(third).toEqual({
      decision: 'hold',
      hits: [
        {
          rule: 'structuring',
          detail: `3 or more transfers of customer ${originator} between 8000 and 9999.99 within 24 h`,
        },
      ],
    });
  });

  it("count structuring in one currency only, and leave the bank's reversals out of it", async () => {
    const originator = await customer();
    const [usd, eur, jpy] = [
      await account(originator),
      await account(originator, 'EUR'),
      await account(originator, 'JPY'),
    ];
    const payee = {
      USD: await account(await customer()),
      EUR: await account(await customer(), 'EUR'),
      JPY: await account(await customer(), 'JPY'),
    };
    await transfer(jpy, payee.JPY, '8000', { ago_ms: 2 * HOUR_MS, currency: 'JPY' });
    await transfer(eur, payee.EUR, '8500.00', { ago_ms: HOUR_MS, currency: 'EUR' });
    expect(await decisionOf(await transfer(usd, payee.USD, '9000.00'))).toEqual({ decision: 'approve' });
    // Three reversals back out of the customer's account: neither counted nor held as structuring.
    const reversals: ScreenedTransfer[] = [];
    for (let index = 0; index < 3; index += 1)
      reversals.push(await transfer(usd, payee.USD, '9000.00', { kind: 'reversal', ago_ms: 100 - index }));
    expect((await rules().evaluate(reversals)).map((decision) => decision.decision)).toEqual([
      'approve',
      'approve',
      'approve',
    ]);
    expect(await decisionOf(await transfer(usd, payee.USD, '9100.00'))).toEqual({ decision: 'approve' });
  });

  it('hold the 21st transfer out of one account within an hour, not the 20th nor older ones', async () => {
    const [from, to] = [await account(await customer()), await account(await customer())];
    await transfer(from, to, '1.00', { ago_ms: 61 * 60 * 1_000 });
    const sent: ScreenedTransfer[] = [];
    for (let index = 0; index < 21; index += 1)
      sent.push(await transfer(from, to, '1.00', { ago_ms: 1_000 - index }));
    const decisions = await rules().evaluate(sent);
    expect(decisions.slice(0, 20).every((decision) => decision.decision === 'approve')).toBe(true);
    expect(decisions[20]).toEqual({
      decision: 'hold',
      hits: [{ rule: 'velocity', detail: `more than 20 transfers out of account ${from} within 60 min` }],
    });
  });

  it('neither hold nor count reversals for velocity: the bank sends them back, not the customer', async () => {
    const [from, to] = [await account(await customer()), await account(await customer())];
    const reversals: ScreenedTransfer[] = [];
    for (let index = 0; index < 21; index += 1)
      reversals.push(await transfer(from, to, '1.00', { kind: 'reversal', ago_ms: 1_000 - index }));
    expect((await rules().evaluate(reversals)).every((decision) => decision.decision === 'approve')).toBe(
      true,
    );
    expect(await decisionOf(await transfer(from, to, '1.00'))).toEqual({ decision: 'approve' });
  });

  it('do not count deposits against the settlement account', async () => {
    const to = await account(await customer());
    const deposits: ScreenedTransfer[] = [];
    for (let index = 0; index < 25; index += 1)
      deposits.push(await transfer(settlement_usd, to, '1.00', { kind: 'deposit', ago_ms: 100 - index }));
    expect((await rules().evaluate(deposits)).every((decision) => decision.decision === 'approve')).toBe(
      true,
    );
  });

  it('hold a transfer with a party in a high-risk country', async () => {
    const from = await account(await customer());
    const iranian = await customer({ country: 'IR' });
    const decision = await decisionOf(await transfer(from, await account(iranian), '10.00'));
    expect(decision).toEqual({
      decision: 'hold',
      hits: [
        { rule: 'high_risk_country', detail: `destination customer ${iranian} is in high-risk country IR` },
      ],
    });
  });

  it("hold a potential sanctions match and reject a confirmed one, from the customers' stored status", async () => {
    const from = await account(await customer());
    const potential = await customer({ sanctions_status: 'potential_match' });
    const confirmed = await customer({ sanctions_status: 'confirmed_match' });
    const held = await decisionOf(await transfer(from, await account(potential), '10.00'));
    expect(held).toEqual({
      decision: 'hold',
      hits: [
        {
          rule: 'sanctions_potential_match',
          detail: `destination customer ${potential} is a potential sanctions match`,
        },
      ],
    });
    const rejected = await decisionOf(await transfer(await account(confirmed), from, '10000.00'));
    expect(rejected).toMatchObject({ decision: 'reject', reason: 'sanctions_match' });
    expect(rulesOf(rejected)).toEqual(['large_amount', 'sanctions_confirmed_match']);
  });

  // Last of this block: it loads a sanctions list, which every later transfer's parties would be behind.
  it('ask the sanctions screener only about parties behind the current list, once, and follow its answer', async () => {
    const [alice, bob] = [await customer(), await customer()];
    const [from, to] = [await account(alice), await account(bob)];
    await database.pool.query(
      `INSERT INTO sanctions_lists (version, content_sha256, entries_loaded, loaded_by) VALUES (1, $1, 1, 'officer')`,
      ['a'.repeat(64)],
    );
    // Bob was screened against list 1 already: his stored status and match are used as they are.
    await database.pool.query(
      `UPDATE customers SET sanctions_status = 'potential_match', sanctions_screened_version = 1, sanctions_screened_at = now(),
         sanctions_match = $2 WHERE id = $1`,
      [bob, JSON.stringify({ ent_num: 10005, name: 'HADDAD, Samir', score: 0.951, list_version: 1 })],
    );
    const asked: string[][] = [];
    const standings = new Map<string, CustomerSanctionsStanding>([
      [alice, { status: 'confirmed_match', match: { ent_num: 4242, name: 'DOE, John', score: 0.981 } }],
    ]);
    const screened = createAmlRules({
      db: database.db,
      thresholds: DEFAULT_COMPLIANCE_THRESHOLDS,
      sanctions: {
        async screenCustomers(ids) {
          asked.push([...ids]);
          return standings;
        },
      },
    });
    const decisions = await screened.evaluate([
      await transfer(from, to, '5.00'),
      await transfer(to, from, '6.00'),
    ]);
    expect(asked).toEqual([[alice]]);
    for (const decision of decisions)
      expect(decision).toMatchObject({ decision: 'reject', reason: 'sanctions_match' });
    expect(decisions[0]).toMatchObject({
      hits: [
        {
          rule: 'sanctions_confirmed_match',
          detail: `source customer ${alice} is a confirmed sanctions match: SDN entry 4242 "DOE, John" (score 0.981)`,
        },
        {
          rule: 'sanctions_potential_match',
          detail: `destination customer ${bob} is a potential sanctions match: SDN entry 10005 "HADDAD, Samir" (score 0.951)`,
        },
      ],
    });
  });
});

describe('uuidv7_lower_bound', () => {
  it('is at most every UUIDv7 of its millisecond and above every earlier one', async () => {
    for (const at of [Date.UTC(2026, 11, 1, 12, 0, 0, 123), Date.UTC(1970, 0, 1, 0, 0, 0, 1), Date.now()]) {
      const { rows } = await database.pool.query(
        `SELECT $1::uuid >= uuidv7_lower_bound($3) AS same_ms, $2::uuid < uuidv7_lower_bound($3) AS earlier`,
        [uuidv7({ msecs: at }), uuidv7({ msecs: at - 1 }), new Date(at)],
      );
      expect(rows[0]).toEqual({ same_ms: true, earlier: true });
    }
  });
});
