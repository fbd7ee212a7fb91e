import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { Decimal } from '@ledgerline/money';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdvanceBatcher } from '../batcher/advance-batcher';
import { checkInvariants } from '../invariants/check-invariants';
import { createLedgerFixtures, type LedgerFixtures } from '../testing';
import { createPostingEngine, type AdvanceResult, type PostingEngine } from './posting-engine';

let database: TestDatabase;
let fixtures: LedgerFixtures;
// No retries: a single deadlock or serialization failure anywhere fails the test instead of being hidden.
let engine: PostingEngine;

/** A small seeded generator, so that a failing run can be replayed exactly. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  fixtures = createLedgerFixtures(database);
  engine = createPostingEngine({
    db: database.db,
    batch_size_max: 50,
    retry: { attempts_max: 1, backoff_base_ms: 1 },
    transaction_timeout_ms: 30_000,
    transaction_max_wait_ms: 30_000,
  });
});

afterAll(async () => {
  await database.drop();
});

interface Scenario {
  transfers: string[];
  holds: string[];
}

/**
 * Customers pay one hot merchant account, pay each other, get refunds and deposits, and place holds:
 * every transfer touches the merchant or the settlement account often enough to make them contended.
 */
async function createScenario(next: () => number, count: number): Promise<Scenario> {
  const settlement = await fixtures.settlementAccount('USD');
  const merchant = await fixtures.account();
  const customers: string[] = [];
  for (let index = 0; index < 8; index += 1) {
    customers.push(
      await fixtures.fundedAccount('200.00', { overdraft_limit: index % 2 === 0 ? '50.00' : '0' }),
    );
  }
  const pick = () => customers[Math.floor(next() * customers.length)]!;
  const amount = () => (1 + Math.floor(next() * 8_000) / 100).toFixed(2);
  const scenario: Scenario = { transfers: [], holds: [] };
  for (let index = 0; index < count; index += 1) {
    const roll = next();
    const customer = pick();
    let other = pick();
    while (other === customer) other = pick();
    const [source, destination, hold] = ((): [string, string, boolean] => {
      if (roll < 0.45) return [customer, merchant, false];
      if (roll < 0.65) return [customer, other, false];
      if (roll < 0.8) return [merchant, customer, false];
      if (roll < 0.9) return [settlement, customer, false];
      return [customer, merchant, true];
    })();
    const id = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: amount(),
      hold,
    });
    scenario.transfers.push(id);
    if (hold) scenario.holds.push(id);
  }
  return scenario;
}

/** Splits ids into overlapping calls: every id at least once, many twice or more, in shuffled groups. */
function overlappingCalls(ids: readonly string[], next: () => number, size: number): string[][] {
  const calls: string[][] = [];
  for (let start = 0; start < ids.length; start += size) calls.push(ids.slice(start, start + size));
  const extras = calls.length;
  for (let extra = 0; extra < extras; extra += 1) {
    const call = new Set<string>();
    while (call.size < Math.min(size, ids.length)) call.add(ids[Math.floor(next() * ids.length)]!);
    calls.push([...call]);
  }
  return calls.sort(() => next() - 0.5);
}

function expectEachChangedOnce(ids: readonly string[], results: readonly AdvanceResult[]): void {
  const changes = new Map<string, number>();
  for (const result of results) {
    if (result.changed) changes.set(result.transfer_id, (changes.get(result.transfer_id) ?? 0) + 1);
  }
  for (const id of ids) expect(changes.get(id) ?? 0, `transfer ${id}`).toBe(1);
}

async function expectLedgerSound(): Promise<void> {
  const report = await checkInvariants(database.db);
  expect(report.violations).toEqual([]);
  const { rows } = await database.pool.query<{ below: string }>(
    `SELECT count(*)::text AS below FROM accounts
      WHERE kind <> 'settlement' AND posted_credits - posted_debits - pending_debits + overdraft_limit < 0`,
  );
  expect(rows[0]?.below).toBe('0');
}

describe('posting engine under concurrency', () => {
  it('advances overlapping batches in parallel without deadlocks, exactly once, conserving money', async () => {
    const next = random(20_261_128);
    const scenario = await createScenario(next, 400);
    const calls = overlappingCalls(scenario.transfers, next, 15);

    const results = (await Promise.all(calls.map((ids) => engine.advance(ids)))).flat();

    expectEachChangedOnce(scenario.transfers, results);
    const { rows } = await database.pool.query<{ status: string; count: string }>(
      `SELECT status::text AS status, count(*)::text AS count FROM transfers WHERE id = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
      [scenario.transfers],
    );
    expect(rows.map((row) => row.status)).not.toContain('approved');
    expect(rows.map((row) => row.status)).toContain('posted');
    await expectLedgerSound();

    // Then clients capture or void every hold, and the commands are delivered twice, concurrently.
    const placed = scenario.holds.filter((id) =>
      results.some((result) => result.transfer_id === id && result.status === 'pending'),
    );
    expect(placed.length).toBeGreaterThan(0);
    for (const [index, id] of placed.entries()) {
      await database.pool.query(
        index % 2 === 0
          ? `UPDATE transfers SET hold_action = 'capture', hold_action_amount = round(amount / 2, 2) WHERE id = $1`
          : `UPDATE transfers SET hold_action = 'void' WHERE id = $1`,
        [id],
      );
    }
    const second = (
      await Promise.all(
        [...overlappingCalls(placed, next, 5), ...overlappingCalls(placed, next, 3)].map((ids) =>
          engine.advance(ids),
        ),
      )
    ).flat();
    expectEachChangedOnce(placed, second);
    await expectLedgerSound();
  });

  it('lets many jobs submit at once through the batcher, duplicates included', async () => {
    const next = random(7);
    const scenario = await createScenario(next, 300);
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 20, linger_ms: 2 });
    // Every transfer's job runs twice (a redelivery), in random order, all at the same time.
    const submissions = [...scenario.transfers, ...scenario.transfers].sort(() => next() - 0.5);

    const results = await Promise.all(submissions.map((id) => batcher.submit(id)));
    await batcher.close();

    // Two submits of one id that meet in the same batch share its one result, so both may read
    // `changed: true`; that money moved once is what checkInvariants proves below (one debit, one
    // credit per posted transfer, totals equal to the entries).
    for (const id of scenario.transfers) {
      expect(results.some((result) => result.transfer_id === id && result.changed)).toBe(true);
    }
    expect(results.filter((result) => result.status === 'approved')).toEqual([]);
    await expectLedgerSound();
  });

  it('posts the rest of a batch while another batch of the engine holds an account they share', async () => {
    // Created in this order, so `shared` sorts first: the blocked batch below holds it while it waits.
    const shared = await fixtures.fundedAccount('100.00');
    const [blocker, payer, sender, receiver] = [
      await fixtures.fundedAccount('100.00'),
      await fixtures.fundedAccount('100.00'),
      await fixtures.fundedAccount('100.00'),
      await fixtures.account(),
    ];
    const first = await fixtures.transfer({
      source_account_id: blocker,
      destination_account_id: shared,
      amount: '1.00',
    });
    const meets = await fixtures.transfer({
      source_account_id: payer,
      destination_account_id: shared,
      amount: '2.00',
    });
    const apart = await fixtures.transfer({
      source_account_id: sender,
      destination_account_id: receiver,
      amount: '3.00',
    });
    const statusOf = async (id: string) =>
      (
        await database.pool.query<{ status: string }>(
          'SELECT status::text AS status FROM transfers WHERE id = $1',
          [id],
        )
      ).rows[0]?.status;

    // Another session holds `blocker`: the first batch locks `shared`, then waits for it.
    const outside = await database.pool.connect();
    try {
      await outside.query('BEGIN');
      await outside.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [blocker]);
      const firstBatch = engine.advance([first]);
      await until(async () => {
        const { rows } = await database.pool.query<{ waiting: string }>(
          'SELECT count(*)::text AS waiting FROM pg_locks WHERE NOT granted',
        );
        return rows[0]?.waiting !== '0';
      });
      const secondBatch = engine.advance([meets, apart]);

      // The transfer that shares nothing posts now; the one that shares `shared` waits its turn.
      await until(async () => (await statusOf(apart)) === 'posted');
      expect(await statusOf(first)).toBe('approved');
      expect(await statusOf(meets)).toBe('approved');

      await outside.query('COMMIT');
      const results = [...(await firstBatch), ...(await secondBatch)];
      expect(results.map((result) => [result.transfer_id, result.status, result.changed])).toEqual([
        [first, 'posted', true],
        [meets, 'posted', true],
        [apart, 'posted', true],
      ]);
    } finally {
      await outside.query('ROLLBACK').catch(() => undefined);
      outside.release();
    }
    expect(new Decimal((await fixtures.readAccount(shared)).posted).equals('103.00')).toBe(true);
    await expectLedgerSound();
  });
});

/** Polls `condition` every 20 ms until it holds; fails after 10 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
