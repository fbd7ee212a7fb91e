/**
 * How big and how long each scenario runs. Every count and duration has a bound here, so a run
 * always ends; `--quick` shrinks everything to fit in under two minutes on a small machine.
 */
export type Profile = 'quick' | 'full';

export interface BenchSettings {
  profile: Profile;
  /** Connection count of every closed-loop HTTP measurement. */
  http_connections: number;
  /**
   * The open-loop sender's pool (accept, and the Fastify latency reference). At 1,000/s and 10 ms an
   * accept already holds 10 connections on average, so a pool of 16 turned every slow moment of the
   * platform into requests queued in the sender: in one run at 1,000/s, the p99 of waiting for a pooled
   * socket alone was 54.5 ms of a 72.1 ms p99. Clients at that rate are many frontends, not 16 sockets.
   */
  open_loop_connections: number;
  /** Length of each closed-loop HTTP measurement. */
  http_duration_s: number;
  pgbench: { scale: number; clients: number; threads: number; duration_s: number };
  /** How long each reference runs when it is measured again after a scenario (bench/lib/references.ts). */
  recheck: { pgbench_duration_s: number; fastify_duration_s: number };
  /**
   * `uniform_repeats` uniform runs (each on transfers of its own) give the target figure as their median:
   * one batch stalled by the shared machine (seen: 967 ms against a p50 of 116) halved a single run.
   */
  engine: {
    accounts: number;
    transfers_per_distribution: number;
    concurrency: number;
    uniform_repeats: number;
    deadline_s: number;
  };
  reads: { small_entries: number; large_entries: number };
  accept: {
    rate_per_second: number;
    /**
     * Sent at `rate_per_second` before the measured `duration_s`, and not measured: the processes start
     * cold, and the one-at-a-time requests before warm only the paths a lone request takes.
     */
    warmup_s: number;
    duration_s: number;
    /** Rates tried above `rate_per_second` while each keeps p99 under the limit. */
    step_rates: number[];
    /** When `rate_per_second` does not keep it: how many times to halve the interval (0, rate) below it. */
    search_steps: number;
    step_duration_s: number;
    p99_limit_ms: number;
  };
  /**
   * `deadline_s` bounds the accepting; draining to final statuses has `drain_deadline_s` more. After the
   * uniform run, `skewed_transfers` each: a hot receiving account and Zipf-distributed receivers, each
   * between two uniform runs of the same size.
   */
  end_to_end: { accounts: number; transfers: number; skewed_transfers: number; deadline_s: number };
  /**
   * The ledger worker alone, fed `ledger` jobs: its RSS once `early_postings` transfers are posted and
   * once `late_postings` are. Jobs are added `enqueue_chunk` at a time, with at most `outstanding_max`
   * added and not yet posted; `deadline_s` bounds the posting of all of them.
   */
  worker_memory: {
    accounts: number;
    early_postings: number;
    late_postings: number;
    enqueue_chunk: number;
    outstanding_max: number;
    deadline_s: number;
  };
  /** Longest wait for accepted transfers to reach a final status before a scenario gives up. */
  drain_deadline_s: number;
  /** Longest wait for a process to answer /readyz. */
  ready_timeout_ms: number;
}

export function settingsFor(profile: Profile): BenchSettings {
  if (profile === 'quick') {
    return {
      profile,
      http_connections: 16,
      open_loop_connections: 64,
      http_duration_s: 2,
      pgbench: { scale: 1, clients: 8, threads: 2, duration_s: 5 },
      recheck: { pgbench_duration_s: 2, fastify_duration_s: 2 },
      engine: {
        accounts: 10_000,
        transfers_per_distribution: 3_000,
        concurrency: 2,
        uniform_repeats: 1,
        deadline_s: 30,
      },
      reads: { small_entries: 10_000, large_entries: 100_000 },
      accept: {
        rate_per_second: 1_000,
        warmup_s: 1,
        duration_s: 3,
        step_rates: [],
        search_steps: 0,
        step_duration_s: 0,
        p99_limit_ms: 50,
      },
      // Smaller since the platform grew to eight processes (two more APIs start, and screening applies the AML rules).
      end_to_end: { accounts: 10_000, transfers: 1_200, skewed_transfers: 300, deadline_s: 20 },
      worker_memory: {
        accounts: 10_000,
        early_postings: 1_000,
        late_postings: 2_000,
        enqueue_chunk: 500,
        outstanding_max: 1_500,
        deadline_s: 60,
      },
      drain_deadline_s: 20,
      ready_timeout_ms: 120_000,
    };
  }
  return {
    profile,
    http_connections: 16,
    open_loop_connections: 64,
    http_duration_s: 10,
    pgbench: { scale: 10, clients: 8, threads: 2, duration_s: 20 },
    recheck: { pgbench_duration_s: 10, fastify_duration_s: 5 },
    engine: {
      accounts: 10_000,
      transfers_per_distribution: 50_000,
      concurrency: 2,
      uniform_repeats: 3,
      deadline_s: 300,
    },
    reads: { small_entries: 10_000, large_entries: 1_000_000 },
    accept: {
      rate_per_second: 1_000,
      warmup_s: 5,
      duration_s: 20,
      step_rates: [1_500, 2_000, 3_000, 4_000],
      search_steps: 4,
      step_duration_s: 10,
      p99_limit_ms: 50,
    },
    end_to_end: { accounts: 10_000, transfers: 100_000, skewed_transfers: 20_000, deadline_s: 2_400 },
    worker_memory: {
      accounts: 10_000,
      early_postings: 100_000,
      late_postings: 1_000_000,
      enqueue_chunk: 5_000,
      outstanding_max: 20_000,
      deadline_s: 3_600,
    },
    drain_deadline_s: 300,
    ready_timeout_ms: 120_000,
  };
}

/**
 * `--e2e-transfers=N`: the settings with a uniform end-to-end run of N transfers, for comparing two builds
 * with a quick run that startup does not dominate. Accepting is allowed at least 200 a second.
 */
export function withEndToEndTransfers(settings: BenchSettings, option: string | undefined): BenchSettings {
  if (option === undefined) return settings;
  const transfers = Number(option);
  if (!Number.isSafeInteger(transfers) || transfers < 100)
    throw new Error('--e2e-transfers must be a whole number of at least 100');
  const deadline_s = Math.max(settings.end_to_end.deadline_s, Math.ceil(transfers / 200));
  return { ...settings, end_to_end: { ...settings.end_to_end, transfers, deadline_s } };
}
