import { describe, expect, it } from 'vitest';
import { ClusterDetector, type CandidateTransfer } from './clusters';

const HOUR_MS = 60 * 60 * 1_000;
const RULE = { transfers_min: 3, window_ms: 24 * HOUR_MS };
const START = Date.parse('2026-05-01T00:00:00.000Z');

/** Transfers `t<n>` at the given hours after START. */
function transfersAt(hours: readonly number[]): CandidateTransfer[] {
  return hours.map((hour, index) => ({
    id: `t${String(index).padStart(3, '0')}`,
    created_at: new Date(START + hour * HOUR_MS),
  }));
}

function clustersOf(transfers: readonly CandidateTransfer[], rule = RULE): string[][] {
  const found: string[][] = [];
  const detector = new ClusterDetector(rule, (cluster) =>
    found.push(cluster.transfers.map((transfer) => transfer.id)),
  );
  for (const transfer of transfers) detector.push(transfer);
  detector.flush();
  return found;
}

describe('ClusterDetector', () => {
  it('finds three transfers within the window, and not two', () => {
    expect(clustersOf(transfersAt([0, 1, 2]))).toEqual([['t000', 't001', 't002']]);
    expect(clustersOf(transfersAt([0, 1]))).toEqual([]);
  });

  it('counts a window of exactly window_ms, and not one a millisecond longer', () => {
    expect(clustersOf(transfersAt([0, 12, 24]))).toEqual([['t000', 't001', 't002']]);
    const justLonger = transfersAt([0, 12]);
    justLonger.push({ id: 't002', created_at: new Date(START + 24 * HOUR_MS + 1) });
    expect(clustersOf(justLonger)).toEqual([]);
  });

  it('grows one cluster while the sliding window keeps qualifying', () => {
    // Windows [0, 12, 20], [12, 20, 30], [20, 30, 40]: each overlaps the one before.
    expect(clustersOf(transfersAt([0, 12, 20, 30, 40]))).toEqual([['t000', 't001', 't002', 't003', 't004']]);
  });

  it('leaves out a transfer the window slid past before it qualified', () => {
    // t000 is alone in its day; t001..t003 qualify together.
    expect(clustersOf(transfersAt([0, 30, 31, 32]))).toEqual([['t001', 't002', 't003']]);
  });

  it('splits bursts that no qualifying window joins', () => {
    expect(clustersOf(transfersAt([0, 1, 2, 60, 61, 62]))).toEqual([
      ['t000', 't001', 't002'],
      ['t003', 't004', 't005'],
    ]);
  });

  it('starts over on reset, emitting the cluster in progress', () => {
    const found: string[][] = [];
    const detector = new ClusterDetector(RULE, (cluster) =>
      found.push(cluster.transfers.map((transfer) => transfer.id)),
    );
    const [a, b, c] = transfersAt([0, 1, 2]);
    for (const transfer of [a!, b!, c!]) detector.push(transfer);
    detector.reset();
    // A new key may start earlier in time; two of them are not a cluster.
    for (const transfer of transfersAt([0, 1])) detector.push(transfer);
    detector.flush();
    expect(found).toEqual([['t000', 't001', 't002']]);
  });

  it('refuses transfers out of order', () => {
    const detector = new ClusterDetector(RULE, () => undefined);
    const [first, second] = transfersAt([1, 0]);
    detector.push(first!);
    expect(() => detector.push(second!)).toThrow(RangeError);
  });
});
