import { describe, expect, it } from 'vitest';
import { roundRobinPairs } from './workload';

const ACCOUNTS = Array.from({ length: 100 }, (_, index) => `a${index}`);

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

describe('roundRobinPairs', () => {
  it('takes sources in turn whatever the receivers, so no account sends more than its share', () => {
    for (const destinations of ['uniform', 'hot', 'zipf'] as const) {
      const pairs = roundRobinPairs(ACCOUNTS, 1_000, 7, destinations);
      expect(Math.max(...countBy(pairs.map((pair) => pair.source)).values())).toBe(10);
      expect(pairs.every((pair) => pair.source !== pair.destination)).toBe(true);
    }
  });

  it('sends every second transfer to the first account when it is hot', () => {
    const pairs = roundRobinPairs(ACCOUNTS, 1_000, 7, 'hot');
    const received = countBy(pairs.map((pair) => pair.destination));
    // Half by design, plus its uniform share of the other half; the one transfer it would send to itself goes on.
    expect(received.get('a0')).toBeGreaterThanOrEqual(499);
    expect(received.get('a0')).toBeLessThan(530);
    expect(
      Math.max(...[...received].filter(([account]) => account !== 'a0').map(([, count]) => count)),
    ).toBeLessThan(20);
  });

  it('draws Zipf receivers: the first ranks take most, as 1/k says', () => {
    const pairs = roundRobinPairs(ACCOUNTS, 10_000, 7, 'zipf');
    const received = countBy(pairs.map((pair) => pair.destination));
    // P(rank 1) = 1 / H(100) = 19%; rank 2 half of that.
    expect(received.get('a0')).toBeGreaterThan(1_700);
    expect(received.get('a0')).toBeLessThan(2_100);
    expect(received.get('a1')).toBeGreaterThan(800);
    expect(received.get('a1')).toBeLessThan(1_150);
  });

  it('is the same for the same seed, and uniform by default', () => {
    expect(roundRobinPairs(ACCOUNTS, 50, 3)).toEqual(roundRobinPairs(ACCOUNTS, 50, 3, 'uniform'));
    expect(roundRobinPairs(ACCOUNTS, 50, 3, 'zipf')).toEqual(roundRobinPairs(ACCOUNTS, 50, 3, 'zipf'));
  });
});
