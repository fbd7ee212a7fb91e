import { seededRandom, zipfSampler } from './stats';
import type { TransferPair } from './seed';

export type Distribution = 'uniform' | 'hot' | 'zipf';

/**
 * Source/destination pairs over `accounts`:
 * - uniform: both sides drawn uniformly;
 * - hot: every second transfer has the first account on one side (alternately source and destination);
 * - zipf: both sides drawn with P(rank k) proportional to 1/k (s = 1).
 * Seeded, so every run offers the same transfers.
 */
export function transferPairs(
  accounts: readonly string[],
  count: number,
  distribution: Distribution,
  seed = 42,
): TransferPair[] {
  const random = seededRandom(seed);
  const uniform = () => Math.floor(random() * accounts.length);
  const zipf = zipfSampler(accounts.length, 1, random);
  const pairs: TransferPair[] = [];
  for (let index = 0; index < count; index += 1) {
    let source: number;
    let destination: number;
    if (distribution === 'zipf') {
      source = zipf();
      do destination = zipf();
      while (destination === source);
    } else if (distribution === 'hot' && index % 2 === 0) {
      const other = 1 + Math.floor(random() * (accounts.length - 1));
      [source, destination] = index % 4 === 0 ? [0, other] : [other, 0];
    } else {
      source = uniform();
      do destination = uniform();
      while (destination === source);
    }
    pairs.push({ source: accounts[source] as string, destination: accounts[destination] as string });
  }
  return pairs;
}

/**
 * Pairs for traffic through the API: sources taken in turn, so no account sends more than
 * ceil(count / accounts) transfers (compliance's velocity rule holds an account that sends too many in
 * an hour), destinations drawn by `destinations`:
 * - uniform;
 * - hot: every second transfer goes to the first account;
 * - zipf: P(rank k) proportional to 1/k (s = 1).
 * Skew goes on the receiving side because the velocity rule forbids it on the sending side; the ledger
 * locks both accounts of a posting, so a hot receiver contends exactly like a hot sender. Seeded.
 */
export function roundRobinPairs(
  accounts: readonly string[],
  count: number,
  seed = 7,
  destinations: Distribution = 'uniform',
): TransferPair[] {
  const random = seededRandom(seed);
  const zipf = zipfSampler(accounts.length, 1, random);
  const draw = (index: number) => {
    if (destinations === 'zipf') return zipf();
    if (destinations === 'hot' && index % 2 === 0) return 0;
    return Math.floor(random() * accounts.length);
  };
  return Array.from({ length: count }, (_, index) => {
    const source = index % accounts.length;
    let destination = draw(index);
    if (destination === source) destination = (destination + 1) % accounts.length;
    return { source: accounts[source] as string, destination: accounts[destination] as string };
  });
}
