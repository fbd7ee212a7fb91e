import autocannon from 'autocannon';

export interface ClosedLoopOptions {
  url: string;
  connections: number;
  duration_s: number;
  headers?: Record<string, string>;
}

export interface ClosedLoopResult {
  /** 2xx responses per second over the whole run. */
  ok_per_second: number;
  ok: number;
  non_2xx: number;
  errors: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
}

/**
 * Closed-loop GET load with autocannon: every connection sends its next request when the previous one
 * answers, so the figure is the service's throughput limit at this connection count.
 */
export async function closedLoopGet(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration_s,
    timeout: 10,
    pipelining: 1,
    method: 'GET',
    headers: options.headers ?? {},
  });
  return {
    ok_per_second: result['2xx'] / result.duration,
    ok: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
  };
}
