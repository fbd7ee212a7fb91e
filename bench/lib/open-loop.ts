import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { keepAliveAgent, send, type HttpRequestSpec } from './http-send';
import { summarizeLatencies, type LatencySummary } from './stats';

export interface LoadOptions {
  base_url: string;
  /** Size of the keep-alive pool; requests beyond it wait, and that wait counts in their latency. */
  connections: number;
  timeout_ms: number;
  request(index: number): HttpRequestSpec;
  /** Called with every answer, e.g. to collect the ids of accepted transfers. */
  onResponse?(index: number, status: number, body: string): void;
}

export interface LoadResult {
  sent: number;
  /** Answers with a 2xx status. */
  ok: number;
  statuses: Record<string, number>;
  /** Transport errors and timeouts (no answer), by message. */
  errors: number;
  error_kinds: Record<string, number>;
  /** ok / the time from the first send to the last answer. */
  ok_per_second: number;
  elapsed_s: number;
  /** Latency of 2xx answers; in the open loop measured from the moment each request was due. */
  latency: LatencySummary;
  /**
   * Where that latency was spent, for the same answers: `late`, from the moment a request was due to
   * the moment this process sent it (its own event loop's delay); `pool_wait`, from then until a pooled
   * socket was free; `exchange`, from then to the whole answer (the network, the gateway, the service,
   * and this process reading the answer). Each summarised on its own, so their p99s do not add up.
   */
  client_split: { late: LatencySummary; pool_wait: LatencySummary; exchange: LatencySummary };
}

const TICK_MS = 2;

/**
 * Open loop: request i is due at start + i / rate whatever happened to earlier ones, so a slow service
 * shows up as latency rather than as a politely lower offered rate (no coordinated omission).
 * Bounded: rate x duration requests, each with a timeout.
 */
export async function openLoop(
  options: LoadOptions & { rate_per_second: number; duration_s: number },
): Promise<LoadResult> {
  const total = Math.max(1, Math.round(options.rate_per_second * options.duration_s));
  const interval_ms = 1_000 / options.rate_per_second;
  return runLoad(options, async (sendOne) => {
    const started_at = performance.now();
    const inFlight: Array<Promise<void>> = [];
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor((performance.now() - started_at) / interval_ms) + 1);
      for (; sent < due; sent += 1) inFlight.push(sendOne(sent, started_at + sent * interval_ms));
      await sleep(TICK_MS);
    }
    await Promise.all(inFlight);
  });
}

/**
 * Closed loop: `connections` senders, each sending its next request when the previous one answers,
 * until `total` requests or the deadline. The throughput limit at this connection count.
 */
export async function closedLoop(
  options: LoadOptions & { total: number; deadline_s: number },
): Promise<LoadResult> {
  return runLoad(options, async (sendOne) => {
    const deadline = performance.now() + options.deadline_s * 1_000;
    let next = 0;
    const sender = async () => {
      while (next < options.total && performance.now() < deadline) {
        const index = next;
        next += 1;
        await sendOne(index, performance.now());
      }
    };
    await Promise.all(Array.from({ length: options.connections }, sender));
  });
}

async function runLoad(
  options: LoadOptions,
  drive: (sendOne: (index: number, due_at: number) => Promise<void>) => Promise<void>,
): Promise<LoadResult> {
  const origin = new URL(options.base_url);
  const agent = keepAliveAgent(options.connections);
  const latencies: number[] = [];
  const late: number[] = [];
  const pool_wait: number[] = [];
  const exchange: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const error_kinds: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let last_answer_at = 0;
  const started_at = performance.now();
  try {
    await drive(async (index, due_at) => {
      sent += 1;
      const sent_at = performance.now();
      const answer = await send(agent, origin, options.request(index), options.timeout_ms);
      const now = performance.now();
      last_answer_at = now;
      if (!answer.ok) {
        errors += 1;
        error_kinds[answer.error] = (error_kinds[answer.error] ?? 0) + 1;
        return;
      }
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status >= 200 && answer.status < 300) {
        ok += 1;
        latencies.push(now - due_at);
        late.push(Math.max(0, sent_at - due_at));
        pool_wait.push(answer.socket_at - sent_at);
        exchange.push(now - answer.socket_at);
      }
      options.onResponse?.(index, answer.status, answer.body);
    });
  } finally {
    agent.destroy();
  }
  const elapsed_s = (Math.max(last_answer_at, started_at) - started_at) / 1_000;
  return {
    sent,
    ok,
    statuses,
    errors,
    error_kinds,
    ok_per_second: elapsed_s > 0 ? ok / elapsed_s : Number.NaN,
    elapsed_s,
    latency: summarizeLatencies(latencies),
    client_split: {
      late: summarizeLatencies(late),
      pool_wait: summarizeLatencies(pool_wait),
      exchange: summarizeLatencies(exchange),
    },
  };
}
