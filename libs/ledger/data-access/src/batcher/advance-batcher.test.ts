import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
  it('groups concurrent submits into one engine call after linger_ms', async () => {
    const { engine, calls } = fakeEngine();
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 10, linger_ms: 20 });
    const results = await Promise.all(['a', 'b', 'c'].map((id) => batcher.submit(id)));
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(results.map((result) => result.transfer_id)).toEqual(['a', 'b', 'c']);
    await batcher.close();
  });

  it('flushes as soon as batch_size_max ids wait', async () => {
    const { engine, calls } = fakeEngine();
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 2, linger_ms: 60_000 });
    const started_ms = Date.now();
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => batcher.submit(id)));
    expect(Date.now() - started_ms).toBeLessThan(5_000);
    expect(calls).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    await batcher.close();
  });

  it('posts at most batches_in_flight_max batches at once; ids arriving meanwhile gather into the next', async () => {
    const calls: string[][] = [];
    const releases: Array<() => void> = [];
    let concurrent = 0;
    let concurrent_max = 0;
    const engine: PostingEngine = {
      batch_size_max: 10,
      async advance(ids) {
        calls.push([...ids]);
        concurrent += 1;
        concurrent_max = Math.max(concurrent_max, concurrent);
        await new Promise<void>((release) => releases.push(release));
        concurrent -= 1;
        return ids.map((id): AdvanceResult => ({ transfer_id: id, status: 'posted', status_reason: null, changed: true }));
      },
      async advanceAtomicBatch() {
        return [];
      },
    };
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 10, linger_ms: 1, batches_in_flight_max: 1 });
    const first = batcher.submit('a');
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const later = ['b', 'c', 'd'].map((id) => batcher.submit(id));
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Their linger has long passed, but the one slot is taken: they wait, together.
    expect(calls).toEqual([['a']]);
    releases.shift()!();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]).toEqual(['b', 'c', 'd']);
    releases.shift()!();
    const results = await Promise.all([first, ...later]);
    expect(results.map((result) => result.transfer_id)).toEqual(['a', 'b', 'c', 'd']);
    expect(concurrent_max).toBe(1);
    await batcher.close();
  });

  it('sends an id submitted twice once and answers both submits', async () => {
    const { engine, calls } = fakeEngine();
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 10, linger_ms: 5 });
    const [first, second] = await Promise.all([batcher.submit('a'), batcher.submit('a')]);
    expect(calls).toEqual([['a']]);
    expect(first).toEqual(second);
    await batcher.close();
  });

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

  it('flushes what waits on close and refuses later submits', async () => {
    const { engine, calls } = fakeEngine();
    const batcher = createAdvanceBatcher({ engine, batch_size_max: 10, linger_ms: 60_000 });
    const pending = batcher.submit('a');
    await batcher.close();
    await expect(pending).resolves.toMatchObject({ transfer_id: 'a' });
    expect(calls).toEqual([['a']]);
    await expect(batcher.submit('b')).rejects.toThrow('closed');
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
