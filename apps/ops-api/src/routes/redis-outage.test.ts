import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@ledgerline/processes';
import { createProducerConnection } from '@ledgerline/queue';
import { call, expectProblem, scrape, useOpsTestApp } from '../test-support';

// The app's Redis points where nothing listens: Redis down or restarting, as an operator may meet it.
const unreachable = createProducerConnection({
  url: `redis://127.0.0.1:${await freePort()}`,
  connection_name: 'ops-api-test-unreachable',
  logger: pino({ level: 'silent' }),
});
const context = useOpsTestApp({ app_options: { redis: unreachable } });
afterAll(() => unreachable.disconnect());

describe('while Redis is unreachable', () => {
  it.each([
    ['GET', '/v1/ops/queues'],
    ['POST', '/v1/ops/queues/ledger/pause'],
    ['POST', '/v1/ops/queues/ledger/resume'],
    ['POST', '/v1/ops/queues/ledger/retry-failed'],
    ['POST', '/v1/ops/queues/ledger/jobs/advance-x/retry'],
  ] as const)(
    '%s %s answers 503 unavailable with Retry-After, saying nothing of Redis',
    async (method, url) => {
      const response = await call(context, method, url, 'operator');
      const problem = expectProblem(response, 503, 'unavailable');
      expect(response.headers['retry-after']).toBe('1');
      expect(problem.detail).not.toMatch(/redis|stream|enableOfflineQueue/i);
    },
  );

  it("answers the dashboard's own API calls 503 too, and still serves its page", async () => {
    const problem = expectProblem(
      await call(context, 'GET', '/admin/queues/api/queues', 'operator'),
      503,
      'unavailable',
    );
    expect(problem.detail).not.toMatch(/redis/i);
    const page = await call(context, 'GET', '/admin/queues', 'operator');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });

  it('still answers a metrics scrape: the queues reported unreadable and absent, the database figures there', async () => {
    const samples = await scrape(context);
    expect(samples.get('ledgerline_pipeline_source_up{source="redis"}')).toBe(0);
    expect(samples.get('ledgerline_pipeline_source_up{source="database"}')).toBe(1);
    expect([...samples.keys()].filter((key) => key.startsWith('ledgerline_queue_'))).toEqual([]);
    expect(samples.get('ledgerline_transfers_waiting{status="received"}')).toBe(0);
    expect(samples.get('ledgerline_outbox_due_messages')).toBe(0);
  });

  it('reports itself not ready, so the load balancer sends operators elsewhere', async () => {
    const response = await call(context, 'GET', '/readyz', null);
    expect(response.statusCode).toBe(503);
  });
});
