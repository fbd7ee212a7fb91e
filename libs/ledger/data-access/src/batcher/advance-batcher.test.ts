import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostingEngine,
  type AdvanceResult,
  type PostingEngine,
} from '../posting-engine/posting-engine';
import { createLedgerFixtures, type LedgerFixtures } from '../testing';
import { createAdvanceBatcher } from './advance-batcher';

/** An engine that records its calls and answers `posted`, failing on demand. */
function fakeEngine(fail: (ids: readonly string[]) => unknown = () => null) {
  const calls: string[][] = [];
  const engine: PostingEngine = {
    batch_size_max: 10,
    async advance(ids) {
      calls.push([...ids]);
      const error = fail(ids);
      if (error !== null) throw error;
      return ids.map((id): AdvanceResult => ({
        transfer_id: id,
        status: 'posted',
        status_reason: null,
        changed: true,
      }));
    },
    async advanceAtomicBatch() {
      return [];
    },
  };
  return { engine, calls };
}

describe('advance batcher', () => {
  // Grouping, flushing, in-flight bounds and close are the micro batcher's (@ledgerline/batching) and tested there.
  it('falls back to one id at a time after a non-retryable failure, so only the bad one fails', async () => {
    const bad = new Error('bad transfer');
    const { engine, calls } = fakeEngine((ids) => (ids.includes('bad') ? bad : null));
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 10, linger_ms: 5 });
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((id) => batcher.submit(id)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    await batcher.close();
  });

  it('fails the whole batch, without a fallback, when contention outlasted the engine retries', async () => {
    const contention = Object.assign(new Error('could not serialize access'), { code: '40001' });
    const { engine, calls } = fakeEngine(() => contention);
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 10, linger_ms: 5 });
    const outcomes = await Promise.allSettled(['a', 'b'].map((id) => batcher.submit(id)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toEqual([['a', 'b']]);
    await batcher.close();
  });

  it('refuses a batch size the engine would not accept', () => {
    const { engine } = fakeEngine();
    expect(() => createAdvanceBatcher({ engine, batch_size_max: 11, linger_ms: 5 })).toThrow();
  });
});

describe('advance batcher with the posting engine', () => {
  let database: TestDatabase;
  let fixtures: LedgerFixtures;

  beforeAll(async () => {
    database = await createTestDatabase();
    fixtures = createLedgerFixtures(database);
  });

  afterAll(async () => {
    await database.drop();
  });

  it('posts the neighbours of a transfer whose data breaks the engine', async () => {
    const engine = createPostingEngine({ db: database.db, batch_size_max: 20 });
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 20, linger_ms: 10 });
    const source = await fixtures.fundedAccount('100.00');
    const good = [];
    for (let index = 0; index < 3; index += 1) {
      good.push(
        await fixtures.transfer({
          source_account_id: source,
          destination_account_id: await fixtures.account(),
          amount: '1.00',
        }),
      );
    }
    // transfers has no foreign key to accounts: the API checks existence, so this can only be a bug.
    const broken = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: uuidv7(),
      amount: '1.00',
    });

    const outcomes = await Promise.allSettled([...good, broken].map((id) => batcher.submit(id)));
    expect(
      outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.status : 'failed')),
    ).toEqual(['posted', 'posted', 'posted', 'failed']);
    expect((await fixtures.readTransfer(broken)).status).toBe('approved');
    await batcher.close();
  });
});
