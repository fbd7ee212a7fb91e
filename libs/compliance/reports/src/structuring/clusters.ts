/** A transfer that may take part in structuring: its amount is already within the rule's range. */
export interface CandidateTransfer {
  id: string;
  created_at: Date;
}

/** Transfers of one customer in one currency that structuring windows link together. */
export interface Cluster<T extends CandidateTransfer = CandidateTransfer> {
  transfers: T[];
}

export interface ClusterRule {
  /** A window must hold at least this many transfers. */
  transfers_min: number;
  /** ... whose first and last are at most this far apart (inclusive). */
  window_ms: number;
}

/**
 * Finds structuring clusters in one customer's transfers of one currency, fed in `created_at` order
 * (ties by id) one at a time, so a report can stream them from keyset pages.
 *
 * A window is a run of consecutive transfers whose first and last are at most `window_ms` apart; it
 * qualifies when it holds at least `transfers_min` of them. A cluster is the union of qualifying windows
 * that overlap (share a transfer): so a burst that keeps going as the window slides is one cluster, and
 * two bursts with no qualifying window across the gap are two. Memory holds the current window and the
 * current cluster only: a transfer not in a qualifying window is dropped once the window slides past it.
 */
export class ClusterDetector<T extends CandidateTransfer = CandidateTransfer> {
  private window: T[] = [];
  private cluster: T[] | null = null;
  /** Sequence number (within this key) of the cluster's newest transfer. */
  private cluster_end = -1;
  private seen = 0;
  private previous: T | null = null;

  constructor(
    private readonly rule: ClusterRule,
    private readonly on_cluster: (cluster: Cluster<T>) => void,
  ) {
    if (!Number.isInteger(rule.transfers_min) || rule.transfers_min < 1)
      throw new RangeError('transfers_min must be >= 1');
    if (!Number.isFinite(rule.window_ms) || rule.window_ms < 0)
      throw new RangeError('window_ms must be >= 0');
  }

  push(transfer: T): void {
    if (this.previous !== null && compare(transfer, this.previous) <= 0)
      throw new RangeError('transfers must be pushed in created_at, id order');
    this.previous = transfer;
    const sequence = this.seen;
    this.seen += 1;
    this.window.push(transfer);
    const newest_ms = transfer.created_at.getTime();
    while (newest_ms - this.window[0]!.created_at.getTime() > this.rule.window_ms) this.window.shift();
    if (this.window.length < this.rule.transfers_min) return;
    // The window spans sequences (sequence - length, sequence]; it overlaps the cluster when its
    // oldest transfer is not newer than the cluster's newest.
    const window_start = sequence - this.window.length + 1;
    if (this.cluster !== null && window_start <= this.cluster_end) {
      this.cluster.push(...this.window.slice(this.cluster_end - window_start + 1));
    } else {
      this.flush();
      this.cluster = [...this.window];
    }
    this.cluster_end = sequence;
  }

  /** Emits the cluster in progress, if any; call it when the customer or currency changes, and at the end. */
  flush(): void {
    if (this.cluster !== null) this.on_cluster({ transfers: this.cluster });
    this.cluster = null;
  }

  /** Starts over for the next customer or currency, emitting the cluster in progress first. */
  reset(): void {
    this.flush();
    this.window = [];
    this.cluster_end = -1;
    this.seen = 0;
    this.previous = null;
  }
}

function compare(a: CandidateTransfer, b: CandidateTransfer): number {
  const by_time = a.created_at.getTime() - b.created_at.getTime();
  if (by_time !== 0) return by_time;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
