import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoop } from './open-loop';

/** Answers every request after ANSWER_DELAY_MS, like a service that takes that long. */
const ANSWER_DELAY_MS = 30;
let server: http.Server;
let base_url: string;

beforeAll(async () => {
  server = http.createServer((_request, response) => {
    setTimeout(() => response.end('ok'), ANSWER_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base_url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// Ten requests due 10 ms apart, each answered 30 ms after it arrives.
const load = (connections: number) =>
  openLoop({
    base_url,
    connections,
    rate_per_second: 100,
    duration_s: 0.1,
    timeout_ms: 5_000,
    request: () => ({ method: 'GET', path: '/', headers: {} }),
  });

describe('the open loop', () => {
  it('counts the wait for a pooled socket in the latency, and says that is where it went', async () => {
    const result = await load(1);
    expect(result.ok).toBe(10);
    // One socket: the tenth request waits for nine answers of 30 ms, though it was due 90 ms after the first.
    expect(result.client_split.pool_wait.max_ms).toBeGreaterThan(120);
    expect(result.latency.max_ms).toBeGreaterThanOrEqual(result.client_split.pool_wait.max_ms);
    expect(result.client_split.exchange.p50_ms).toBeGreaterThanOrEqual(ANSWER_DELAY_MS - 1);
  });

  it('leaves the latency to the exchange when the pool has a socket for every request in flight', async () => {
    const result = await load(10);
    expect(result.ok).toBe(10);
    expect(result.client_split.pool_wait.max_ms).toBeLessThan(ANSWER_DELAY_MS * 2);
    expect(result.client_split.exchange.p50_ms).toBeGreaterThanOrEqual(ANSWER_DELAY_MS - 1);
    expect(result.latency.p50_ms).toBeLessThan(ANSWER_DELAY_MS * 3);
  });
});
