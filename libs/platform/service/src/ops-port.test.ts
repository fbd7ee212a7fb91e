import { createTestDatabase, testServices, type TestDatabase } from '@ledgerline/db/testing';
import { freePort } from '@ledgerline/processes';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsPort, type OpsPort } from './ops-port';

const logger = pino({ level: 'silent' });
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** The port of `service` on a spare port, against `redis_url`. */
async function openPort(redis_url: string, service = 'ledger-worker', registry?: Registry): Promise<OpsPort> {
  return startOpsPort({
    service_name: service,
    config: {
      OPS_HOST: '127.0.0.1',
      OPS_PORT: await freePort(),
      REDIS_URL: redis_url,
      QUEUE_PREFIX: 'unused',
    },
    db: database.db,
    logger,
    registry,
  });
}

describe('a background service operations port', () => {
  it('answers liveness, readiness with its checks, and Prometheus metrics named for the service', async () => {
    const ops = await openPort(testServices().redis_url);
    try {
      expect(ops.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${ops.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const ready = await fetch(`${ops.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { database: 'ok', redis: 'ok' },
        failed: [],
      });

      const metrics = await fetch(`${ops.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toMatch(/^process_resident_memory_bytes\{service="ledger-worker"\} \d+/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service="ledger-worker"\} /m);
      // The probes above are measured like any service's requests.
      expect(text).toMatch(/^http_request_duration_seconds_count\{[^}]*route="\/readyz"[^}]*\} 1$/m);
    } finally {
      await ops.close();
    }
  });

  it("serves the process's own metrics (a worker's jobs) beside the process ones, labelled with the service", async () => {
    const registry = new Registry();
    const jobs = new Counter({
      name: 'test_jobs_total',
      help: 'jobs',
      labelNames: ['queue'],
      registers: [registry],
    });
    jobs.inc({ queue: 'ledger' }, 3);
    const ops = await openPort(testServices().redis_url, 'ledger-worker', registry);
    try {
      const text = await (await fetch(`${ops.url}/metrics`)).text();
      expect(text).toMatch(/^test_jobs_total\{queue="ledger",service="ledger-worker"\} 3$/m);
      expect(text).toMatch(/^process_resident_memory_bytes\{service="ledger-worker"\} \d+/m);
    } finally {
      await ops.close();
    }
  });

  it('is not ready, naming Redis, while Redis cannot be reached, and still alive', async () => {
    const ops = await openPort(`redis://127.0.0.1:${await freePort()}`);
    try {
      const ready = await fetch(`${ops.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        checks: { database: 'ok', redis: 'failed' },
        failed: ['redis'],
      });
      expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    } finally {
      await ops.close();
    }
  });

  it('opens nothing when OPS_PORT is 0', async () => {
    const ops = await startOpsPort({
      service_name: 'outbox-relay',
      config: {
        OPS_HOST: '127.0.0.1',
        OPS_PORT: 0,
        REDIS_URL: testServices().redis_url,
        QUEUE_PREFIX: 'unused',
      },
      db: database.db,
      logger,
    });
    expect(ops.url).toBeUndefined();
    await ops.close();
  });

  it('stops answering once closed', async () => {
    const ops = await openPort(testServices().redis_url, 'compliance-worker');
    await ops.close();
    await expect(fetch(`${ops.url}/healthz`)).rejects.toThrow();
  });
});
