import { describe, expect, it, vi } from 'vitest';
import { createMicroBatcher, type FinishedBatch } from './micro-batcher';

/** A `run` that records its calls and answers each key upper-cased, failing on demand. */
function recordingRun(fail: (keys: readonly string[]) => unknown = () => null) {
  const calls: string[][] = [];
  const run = async (keys: string[]) => {
    calls.push([...keys]);
    const error = fail(keys);
    if (error !== null) throw error;
    return keys.map((key) => key.toUpperCase());
  };
  return { run, calls };
}

describe('micro batcher', () => {
  it('groups concurrent submits into one run after linger_ms, answering each its own result', async () => {
    const { run, calls } = recordingRun();
    const batches: FinishedBatch[] = [];
    const batcher = createMicroBatcher({
      run,
      batch_size_max: 10,
      linger_ms: 20,
      on_batch: (batch) => batches.push(batch),
    });
    expect(await Promise.all(['a', 'b', 'c'].map((key) => batcher.submit(key)))).toEqual(['A', 'B', 'C']);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(batches).toEqual([{ keys: 3, outcome: 'ok', duration_s: expect.any(Number) }]);
    await batcher.close();
  });

  it('with linger_ms 0, batches what was submitted in one turn of the event loop, without waiting for a timer', async () => {
    // Timers never fire here unless advanced: a batcher that waited for one would never answer.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { run, calls } = recordingRun();
      const batcher = createMicroBatcher({ run, batch_size_max: 10, linger_ms: 0 });
      expect(await Promise.all([batcher.submit('a'), batcher.submit('b')])).toEqual(['A', 'B']);
      expect(await batcher.submit('c')).toBe('C');
      expect(calls).toEqual([['a', 'b'], ['c']]);
      await batcher.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('flushes as soon as batch_size_max keys wait', async () => {
    const { run, calls } = recordingRun();
    const batcher = createMicroBatcher({ run, batch_size_max: 2, linger_ms: 60_000 });
    const started_ms = Date.now();
    await Promise.all(['a', 'b', 'c', 'd'].map((key) => batcher.submit(key)));
    expect(Date.now() - started_ms).toBeLessThan(5_000);
    expect(calls).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    await batcher.close();
  });

  it('runs at most batches_in_flight_max batches at once; keys arriving meanwhile gather into the next', async () => {
    const calls: string[][] = [];
    const releases: Array<() => void> = [];
    let concurrent = 0;
    let concurrent_max = 0;
    const run = async (keys: string[]) => {
      calls.push([...keys]);
      concurrent += 1;
      concurrent_max = Math.max(concurrent_max, concurrent);
      await new Promise<void>((release) => releases.push(release));
      concurrent -= 1;
      return keys;
    };
    const batcher = createMicroBatcher({ run, batch_size_max: 10, linger_ms: 1, batches_in_flight_max: 1 });
    const first = batcher.submit('a');
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const later = ['b', 'c', 'd'].map((key) => batcher.submit(key));
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Their linger has long passed, but the one slot is taken: they wait, together.
    expect(calls).toEqual([['a']]);
    releases.shift()!();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]).toEqual(['b', 'c', 'd']);
    releases.shift()!();
    expect(await Promise.all([first, ...later])).toEqual(['a', 'b', 'c', 'd']);
    expect(concurrent_max).toBe(1);
    await batcher.close();
  });

  it('runs a key submitted twice once and answers both submits', async () => {
    const { run, calls } = recordingRun();
    const batcher = createMicroBatcher({ run, batch_size_max: 10, linger_ms: 5 });
    expect(await Promise.all([batcher.submit('a'), batcher.submit('a')])).toEqual(['A', 'A']);
    expect(calls).toEqual([['a']]);
    await batcher.close();
  });

  it('runs a failed batch again key by key, so only the bad key fails, and says so', async () => {
    const bad = new Error('bad key');
    const { run, calls } = recordingRun((keys) => (keys.includes('bad') ? bad : null));
    const split: Array<readonly string[]> = [];
    const failed: string[] = [];
    const batches: FinishedBatch[] = [];
    const batcher = createMicroBatcher({
      run,
      batch_size_max: 10,
      linger_ms: 5,
      on_split: (keys) => split.push(keys),
      on_key_failed: (key) => failed.push(key),
      on_batch: (batch) => batches.push(batch),
    });
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((key) => batcher.submit(key)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    expect({ split, failed }).toEqual({ split: [['a', 'bad', 'c']], failed: ['bad'] });
    expect(batches.map(({ keys, outcome }) => ({ keys, outcome }))).toEqual([{ keys: 3, outcome: 'split' }]);
    await batcher.close();
  });

  it('fails every key without splitting when split_after says the error is not about the data', async () => {
    const { run, calls } = recordingRun(() => new Error('busy'));
    const batches: FinishedBatch[] = [];
    const batcher = createMicroBatcher({
      run,
      batch_size_max: 10,
      linger_ms: 5,
      split_after: () => false,
      on_batch: (batch) => batches.push(batch),
    });
    const outcomes = await Promise.allSettled(['a', 'b'].map((key) => batcher.submit(key)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toEqual([['a', 'b']]);
    expect(batches.map(({ keys, outcome }) => ({ keys, outcome }))).toEqual([{ keys: 2, outcome: 'failed' }]);
    await batcher.close();
  });

  it('runs what waits on close and refuses later submits', async () => {
    const { run, calls } = recordingRun();
    const batcher = createMicroBatcher({ run, batch_size_max: 10, linger_ms: 60_000 });
    const pending = batcher.submit('a');
    await batcher.close();
    await expect(pending).resolves.toBe('A');
    expect(calls).toEqual([['a']]);
    await expect(batcher.submit('b')).rejects.toThrow('closed');
  });
});
