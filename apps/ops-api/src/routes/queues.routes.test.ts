import Value from 'typebox/value';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { jobs, QUEUE_NAMES, type JobSpec } from '@ledgerline/queue';
import { failJobs } from '@ledgerline/queue/testing';
import {
  auditRecordOf,
  call,
  expectProblem,
  OPERATOR_ROLES,
  OTHER_ROLES,
  useOpsTestApp,
  type OpsTestContext,
} from '../test-support';
import {
  QueueSummaryListSchema,
  QueueSummarySchema,
  RetriedJobSchema,
  RetryFailedResultSchema,
} from './queues.schemas';

const context = useOpsTestApp();

const reports = (count: number): JobSpec[] =>
  Array.from({ length: count }, () => jobs.runReport(uuidv7(), 'req-ops'));
const customerScreenings = (count: number): JobSpec[] =>
  Array.from({ length: count }, () => jobs.screenCustomer(uuidv7(), 'req-ops'));

async function summaryOf(context: OpsTestContext, name: string) {
  const response = await call(context, 'GET', '/v1/ops/queues', 'operator');
  return (response.json() as Array<{ name: string }>).find((queue) => queue.name === name) as Record<
    string,
    unknown
  >;
}

const ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; url: string }> = [
  { method: 'GET', url: '/v1/ops/queues' },
  { method: 'POST', url: '/v1/ops/queues/ledger/pause' },
  { method: 'POST', url: '/v1/ops/queues/ledger/resume' },
  { method: 'POST', url: '/v1/ops/queues/ledger/retry-failed' },
  { method: 'POST', url: '/v1/ops/queues/ledger/jobs/advance-x/retry' },
];

describe('GET /v1/ops/queues', () => {
  it('lists every queue with the counts of its real jobs, for operators and admins', async () => {
    await failJobs({
      redis_url: context.redis_url,
      prefix: context.prefix,
      specs: [jobs.expireHold(uuidv7(), 'req-ops')],
    });
    await context.producer.add(jobs.advanceTransfer(uuidv7(), 'req-ops'));
    await context.producer.add(jobs.advanceTransfer(uuidv7(), 'req-ops'));
    await context.producer.add(jobs.screenTransfer(uuidv7(), 'req-ops'), { delay_ms: 60_000 });
    for (const role of OPERATOR_ROLES) {
      const response = await call(context, 'GET', '/v1/ops/queues', role);
      expect(response.statusCode).toBe(200);
      const body = response.json() as Array<Record<string, unknown>>;
      expect(Value.Check(QueueSummaryListSchema, body)).toBe(true);
      expect(body.map((queue) => queue.name)).toEqual([...QUEUE_NAMES]);
      expect(body.find((queue) => queue.name === 'ledger')).toEqual({
        name: 'ledger',
        waiting: 2,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
        paused: false,
        oldest_waiting_ms: expect.any(Number),
      });
      expect(body.find((queue) => queue.name === 'screening')).toMatchObject({
        waiting: 0,
        delayed: 1,
        oldest_waiting_ms: null,
      });
      expect(body.find((queue) => queue.name === 'hold-expiry')).toMatchObject({ failed: 1, waiting: 0 });
    }
  });
});

describe('access', () => {
  it('answers 401 without a token and 403 to every other role, on every route, changing nothing', async () => {
    for (const { method, url } of ROUTES) {
      const anonymous = await call(context, method, url, null);
      expectProblem(anonymous, 401, 'unauthorized');
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="ledgerline"');
      for (const role of OTHER_ROLES) expectProblem(await call(context, method, url, role), 403, 'forbidden');
    }
    expect(await summaryOf(context, 'ledger')).toMatchObject({ paused: false });
  });

  it('records the refused attempts in the audit trail too', async () => {
    const response = await call(context, 'POST', '/v1/ops/queues/ledger/pause', 'customer');
    expect(await auditRecordOf(context, String(response.headers['x-request-id']))).toEqual([
      {
        actor: 'client-customer',
        role: 'customer',
        action: 'POST /v1/ops/queues/:name/pause',
        resource: '/v1/ops/queues/ledger/pause',
        outcome: 403,
      },
    ]);
  });
});

describe('POST /v1/ops/queues/:name/pause and /resume', () => {
  it('pauses and resumes a queue, answering its summary, with an audit record of each', async () => {
    for (const role of OPERATOR_ROLES) {
      const paused = await call(context, 'POST', '/v1/ops/queues/reports/pause', role);
      expect(paused.statusCode).toBe(200);
      expect(Value.Check(QueueSummarySchema, paused.json())).toBe(true);
      expect(paused.json()).toMatchObject({ name: 'reports', paused: true });
      expect(await summaryOf(context, 'reports')).toMatchObject({ paused: true });
      expect(await auditRecordOf(context, String(paused.headers['x-request-id']))).toEqual([
        {
          actor: `client-${role}`,
          role,
          action: 'POST /v1/ops/queues/:name/pause',
          resource: '/v1/ops/queues/reports/pause',
          outcome: 200,
        },
      ]);

      const resumed = await call(context, 'POST', '/v1/ops/queues/reports/resume', role);
      expect(resumed.statusCode).toBe(200);
      expect(resumed.json()).toMatchObject({ name: 'reports', paused: false });
      expect(await summaryOf(context, 'reports')).toMatchObject({ paused: false });
      expect(await auditRecordOf(context, String(resumed.headers['x-request-id']))).toEqual([
        expect.objectContaining({ action: 'POST /v1/ops/queues/:name/resume', outcome: 200 }),
      ]);
    }
  });
});

describe('POST /v1/ops/queues/:name/retry-failed', () => {
  it("moves a queue's failed jobs back to waiting and says how many", async () => {
    await failJobs({ redis_url: context.redis_url, prefix: context.prefix, specs: customerScreenings(3) });
    expect(await summaryOf(context, 'sanctions')).toMatchObject({ failed: 3, waiting: 0 });
    const response = await call(context, 'POST', '/v1/ops/queues/sanctions/retry-failed', 'operator');
    expect(response.statusCode).toBe(200);
    expect(Value.Check(RetryFailedResultSchema, response.json())).toBe(true);
    expect(response.json()).toEqual({ name: 'sanctions', retried: 3, failed_remaining: 0 });
    expect(await summaryOf(context, 'sanctions')).toMatchObject({ failed: 0, waiting: 3 });
    expect(await auditRecordOf(context, String(response.headers['x-request-id']))).toEqual([
      expect.objectContaining({
        actor: 'client-operator',
        action: 'POST /v1/ops/queues/:name/retry-failed',
        outcome: 200,
      }),
    ]);

    const again = await call(context, 'POST', '/v1/ops/queues/sanctions/retry-failed', 'admin');
    expect(again.json()).toEqual({ name: 'sanctions', retried: 0, failed_remaining: 0 });
  });
});

describe('POST /v1/ops/queues/:name/jobs/:id/retry', () => {
  it('retries one failed job, and refuses it with 409 once it is no longer failed', async () => {
    const [first, second] = reports(2);
    await failJobs({ redis_url: context.redis_url, prefix: context.prefix, specs: [first!, second!] });
    for (const [role, spec] of [
      ['operator', first!],
      ['admin', second!],
    ] as const) {
      const response = await call(context, 'POST', `/v1/ops/queues/reports/jobs/${spec.job_id}/retry`, role);
      expect(response.statusCode).toBe(200);
      expect(Value.Check(RetriedJobSchema, response.json())).toBe(true);
      expect(response.json()).toEqual({ id: spec.job_id, name: 'reports', state: 'waiting' });
      expect(await auditRecordOf(context, String(response.headers['x-request-id']))).toEqual([
        {
          actor: `client-${role}`,
          role,
          action: 'POST /v1/ops/queues/:name/jobs/:id/retry',
          resource: `/v1/ops/queues/reports/jobs/${spec.job_id}/retry`,
          outcome: 200,
        },
      ]);
    }
    const waiting = await call(
      context,
      'POST',
      `/v1/ops/queues/reports/jobs/${first!.job_id}/retry`,
      'operator',
    );
    expect(expectProblem(waiting, 409, 'invalid_state').detail).toMatch(/waiting/);
    expect(await auditRecordOf(context, String(waiting.headers['x-request-id']))).toEqual([
      expect.objectContaining({ outcome: 409 }),
    ]);
    expect(await summaryOf(context, 'reports')).toMatchObject({ waiting: 2, failed: 0 });
  });

  it('refuses a delayed job with 409 and leaves it delayed', async () => {
    const delayed = jobs.runReport(uuidv7(), 'req-ops');
    await context.producer.add(delayed, { delay_ms: 60_000 });
    expectProblem(
      await call(context, 'POST', `/v1/ops/queues/reports/jobs/${delayed.job_id}/retry`, 'admin'),
      409,
      'invalid_state',
    );
    expect(await context.producer.queue('reports').getJobState(delayed.job_id)).toBe('delayed');
  });
});

describe('unknown queues and jobs', () => {
  it('answers 404 not_found for a queue that does not exist, on every route that names one', async () => {
    for (const url of [
      '/v1/ops/queues/payments/pause',
      '/v1/ops/queues/payments/resume',
      '/v1/ops/queues/payments/retry-failed',
      '/v1/ops/queues/payments/jobs/screen-x/retry',
    ]) {
      expect(expectProblem(await call(context, 'POST', url, 'operator'), 404, 'not_found').detail).toMatch(
        /payments/,
      );
    }
  });

  it('answers 404 not_found for a job that does not exist', async () => {
    for (const id of ['screen-0190a000-0000-7000-8000-000000000001', '123']) {
      expectProblem(
        await call(context, 'POST', `/v1/ops/queues/screening/jobs/${id}/retry`, 'operator'),
        404,
        'not_found',
      );
    }
  });
});

describe('validation', () => {
  it.each([
    ['a queue name with capitals', '/v1/ops/queues/Ledger/pause', '/params/name'],
    ['a queue name with a dot', '/v1/ops/queues/ledger.x/resume', '/params/name'],
    ['an over-long queue name', `/v1/ops/queues/${'q'.repeat(65)}/retry-failed`, '/params/name'],
    ['a job id with a colon', '/v1/ops/queues/ledger/jobs/advance%3Ax/retry', '/params/id'],
    ['a job id with a space', '/v1/ops/queues/ledger/jobs/advance%20x/retry', '/params/id'],
  ])('refuses %s with 400 validation_failed', async (_name, url, path) => {
    const problem = expectProblem(await call(context, 'POST', url, 'operator'), 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path, message: expect.any(String) }]);
  });
});

describe('OpenAPI', () => {
  it('documents exactly the five ops operations, guarded, and none of the dashboard', async () => {
    const document = (await call(context, 'GET', '/openapi.json', null)).json() as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.filter((operation) => !/ \/(healthz|readyz|metrics)$/.test(operation)).sort()).toEqual([
      'GET /v1/ops/queues',
      'POST /v1/ops/queues/{name}/jobs/{id}/retry',
      'POST /v1/ops/queues/{name}/pause',
      'POST /v1/ops/queues/{name}/resume',
      'POST /v1/ops/queues/{name}/retry-failed',
    ]);
    for (const [path, methods] of Object.entries(document.paths).filter(([path]) =>
      path.startsWith('/v1/'),
    )) {
      for (const operation of Object.values(methods)) {
        expect(operation.security, path).toEqual([{ bearer_token: [] }]);
        expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(['200', '401', '403']));
      }
    }
  });
});
