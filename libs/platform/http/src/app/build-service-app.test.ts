import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../problems/problem-error';
import {
  pageOf,
  PageQuerySchema,
  problemResponses,
  UuidSchema,
  DecimalStringSchema,
} from '../schemas/common';
import { decodeCursor, encodeCursor } from '../schemas/cursor';
import { buildServiceApp, type ServiceApp } from './build-service-app';

/** Collects the app's log lines so tests can look at what was logged. */
function logCollector() {
  const lines: Array<Record<string, unknown>> = [];
  return {
    lines,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  };
}

const logs = logCollector();
let app: ServiceApp;

beforeAll(async () => {
  app = await buildServiceApp({
    service_name: 'test-api',
    log_level: 'info',
    log_destination: logs.destination,
    body_limit_bytes: 2048,
    rate_limit: { max: 10_000, time_window_ms: 60_000 },
    is_transient_error: (error) => (error as { code?: unknown }).code === 'POOL_EXHAUSTED',
  });
  app.post(
    '/v1/things',
    {
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 50 }),
            amount: DecimalStringSchema,
            owner_id: Type.Optional(UuidSchema),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ name: Type.String(), amount: Type.String() }) },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return { name: request.body.name, amount: request.body.amount, secret_field: 'never leaves' };
    },
  );
  app.get(
    '/v1/things',
    {
      schema: { querystring: PageQuerySchema, response: { 200: pageOf(Type.Object({ n: Type.Integer() })) } },
    },
    async (request) => {
      const after =
        request.query.cursor === undefined
          ? 0
          : decodeCursor(request.query.cursor, Type.Object({ n: Type.Integer() })).n;
      const data = Array.from({ length: request.query.limit ?? 0 }, (_, index) => ({ n: after + index + 1 }));
      return { data, next_cursor: encodeCursor({ n: after + data.length }) };
    },
  );
  app.post(
    '/v1/things/:id/freeze',
    {
      schema: {
        params: Type.Object({ id: UuidSchema }),
        response: { 200: Type.Object({ id: Type.String() }), ...problemResponses(404) },
      },
    },
    async (request) => {
      if (request.params.id.startsWith('0')) throw new ProblemError('not_found', 'No such thing.');
      return { id: request.params.id };
    },
  );
  app.post('/v1/echo', { schema: { response: { 200: Type.Object({}) } } }, async (request) => {
    request.log.info({ headers: request.headers, body: request.body }, 'echo');
    return {};
  });
  app.get('/v1/boom', { schema: { response: { 200: Type.Object({}) } } }, async () => {
    throw new Error('relation "secret_table" does not exist: SELECT password FROM users');
  });
  app.get('/v1/boom-non-error', { schema: { response: { 200: Type.Object({}) } } }, async () => {
    throw { statusCode: 418, message: 'a thrown object with a status it should not keep' };
  });
  app.get('/v1/overloaded', { schema: { response: { 200: Type.Object({}) } } }, async () => {
    throw Object.assign(new Error('timed out fetching a connection from pool db01'), {
      code: 'POOL_EXHAUSTED',
    });
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:ledgerline:problem:${code}` });
  expect(typeof body['title']).toBe('string');
  expect(typeof body['detail']).toBe('string');
  return body;
}

describe('request ids', () => {
  it('generates a UUIDv7 when the client sends none and echoes it', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('keeps a sane client id, on success and on errors', async () => {
    const ok = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'client-abc.123' },
    });
    expect(ok.headers['x-request-id']).toBe('client-abc.123');
    const failed = await app.inject({
      method: 'GET',
      url: '/v1/boom',
      headers: { 'x-request-id': 'client-boom' },
    });
    expect(failed.headers['x-request-id']).toBe('client-boom');
    const notFound = await app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'x-request-id': 'client-404' },
    });
    expect(notFound.headers['x-request-id']).toBe('client-404');
  });

  it('replaces ids that are too long or not printable', async () => {
    for (const sent of ['x'.repeat(129), 'has space', 'tab\tinside', '']) {
      const response = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': sent },
      });
      expect(response.headers['x-request-id']).not.toBe(sent);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('binds the id into the request logs', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things?verbose=1',
      payload: { name: 'log me', amount: '1.00' },
      headers: { 'x-request-id': 'trace-me-1' },
    });
    const mine = logs.lines.filter((line) => line['request_id'] === 'trace-me-1');
    expect(mine.every((line) => line['service'] === 'test-api')).toBe(true);
    // One access line per request, written when it completes.
    expect(mine.filter((line) => line['msg'] === 'request completed')).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/things',
        status: response.statusCode,
        response_time_ms: expect.any(Number),
      }),
    ]);
  });
});

describe('problems', () => {
  it('answers schema violations with 400 and JSON-pointer paths', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: { amount: 12.5, owner_id: 'nope', extra: true },
    });
    const body = expectProblem(response, 400, 'validation_failed');
    const paths = (body['errors'] as Array<{ path: string }>).map((error) => error.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/body/name', '/body/amount', '/body/owner_id', '/body/extra']),
    );
  });

  it('never coerces a JSON number into a decimal string', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: { name: 'n', amount: 10 },
    });
    const body = expectProblem(response, 400, 'validation_failed');
    expect(body['errors']).toEqual([{ path: '/body/amount', message: expect.any(String) }]);
  });

  it('checks querystring and params with their own path prefix', async () => {
    const query = await app.inject({ method: 'GET', url: '/v1/things?limit=0' });
    expect(expectProblem(query, 400, 'validation_failed')['errors']).toEqual([
      { path: '/query/limit', message: expect.any(String) },
    ]);
    const params = await app.inject({ method: 'POST', url: '/v1/things/not-a-uuid/freeze' });
    expect(expectProblem(params, 400, 'validation_failed')['errors']).toEqual([
      { path: '/params/id', message: expect.any(String) },
    ]);
  });

  it('rejects a body over the limit with 413', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: { name: 'x'.repeat(4096), amount: '1' },
    });
    expectProblem(response, 413, 'payload_too_large');
  });

  it('rejects other media types with 415', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(response, 415, 'unsupported_media_type');
    const text = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(text, 415, 'unsupported_media_type');
  });

  it('answers malformed JSON with 400', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(expectProblem(response, 400, 'validation_failed')['detail']).toMatch(/not valid JSON/);
  });

  it('rejects prototype poisoning as invalid JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: '{"name":"a","amount":"1","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'validation_failed');
  });

  it('treats an empty JSON body as no body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things/0190a000-0000-7000-8000-000000000000/freeze',
      payload: '',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 404, 'not_found');
  });

  it('answers unknown routes with a not_found problem', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/unknown' });
    expectProblem(response, 404, 'not_found');
  });

  it('passes thrown ProblemErrors through and logs them at info', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things/0190a000-0000-7000-8000-000000000000/freeze',
      headers: { 'x-request-id': 'problem-404' },
    });
    expect(expectProblem(response, 404, 'not_found')['detail']).toBe('No such thing.');
    const line = logs.lines.find(
      (entry) => entry['request_id'] === 'problem-404' && entry['msg'] === 'request rejected',
    );
    expect(line?.['level']).toBe(30);
  });

  it('hides everything about unexpected errors behind a generic 500 and logs them at error', async () => {
    for (const url of ['/v1/boom', '/v1/boom-non-error']) {
      const response = await app.inject({
        method: 'GET',
        url,
        headers: { 'x-request-id': `boom-${url.length}` },
      });
      const body = expectProblem(response, 500, 'internal');
      expect(response.body).not.toMatch(/secret_table|SELECT|password|stack|at .*\.ts|418|should not keep/);
      expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
      const line = logs.lines.find(
        (entry) => entry['request_id'] === `boom-${url.length}` && entry['msg'] === 'request failed',
      );
      expect(line?.['level']).toBe(50);
    }
  });

  it('answers a passing infrastructure fault with 503 and Retry-After, saying nothing of the cause', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/overloaded' });
    expectProblem(response, 503, 'unavailable');
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).not.toMatch(/pool|db01/);
  });

  it('serializes only what the response schema allows', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: { name: 'n', amount: '10.00' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ name: 'n', amount: '10.00' });
  });
});

describe('logging', () => {
  it('redacts credentials wherever code logs them', async () => {
    await app.inject({
      method: 'POST',
      url: '/v1/echo',
      payload: { client_secret: 'hunter2-secret', name: 'visible' },
      headers: { authorization: 'Bearer secret-token-value', 'x-request-id': 'redaction-1' },
    });
    const line = logs.lines.find((entry) => entry['request_id'] === 'redaction-1' && entry['msg'] === 'echo');
    expect(line).toBeDefined();
    const text = JSON.stringify(line);
    expect(text).not.toContain('secret-token-value');
    expect(text).not.toContain('hunter2-secret');
    expect(text).toContain('visible');
    expect(text).toContain('[redacted]');
  });
});

describe('content types', () => {
  it('lets an app accept another media type for its own routes', async () => {
    const csv = await buildServiceApp({
      service_name: 'csv',
      log_level: 'silent',
      rate_limit: { max: 100, time_window_ms: 60_000 },
    });
    csv.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    csv.post(
      '/v1/lists',
      { schema: { response: { 200: Type.Object({ lines: Type.Integer() }) } } },
      async (request) => ({
        lines: String(request.body).split('\n').length,
      }),
    );
    const response = await csv.inject({
      method: 'POST',
      url: '/v1/lists',
      payload: 'a,b\nc,d',
      headers: { 'content-type': 'text/csv' },
    });
    expect(response.json()).toEqual({ lines: 2 });
    const xml = await csv.inject({
      method: 'POST',
      url: '/v1/lists',
      payload: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
    await csv.close();
  });
});

describe('pagination', () => {
  it('applies the default limit and round-trips cursors', async () => {
    const first = await app.inject({ method: 'GET', url: '/v1/things' });
    expect(first.statusCode).toBe(200);
    const page = first.json() as { data: Array<{ n: number }>; next_cursor: string };
    expect(page.data).toHaveLength(50);
    const second = await app.inject({ method: 'GET', url: `/v1/things?limit=2&cursor=${page.next_cursor}` });
    expect((second.json() as { data: unknown[] }).data).toEqual([{ n: 51 }, { n: 52 }]);
  });

  it('answers a forged cursor with 400', async () => {
    for (const cursor of [
      'not*base64',
      encodeCursor({ n: 'x' }),
      Buffer.from('[1,2]').toString('base64url'),
    ]) {
      const response = await app.inject({ method: 'GET', url: `/v1/things?cursor=${cursor}` });
      expect(expectProblem(response, 400, 'validation_failed')['errors']).toEqual([
        { path: '/query/cursor', message: 'is not a valid cursor' },
      ]);
    }
  });

  it('decodes cursors without a schema as plain objects', () => {
    expect(decodeCursor(encodeCursor({ id: 'a', at: 1, last: null }))).toEqual({
      id: 'a',
      at: 1,
      last: null,
    });
    expect(() => decodeCursor('')).toThrowError(ProblemError);
  });
});

describe('ops routes', () => {
  it('serves /healthz', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('serves Prometheus metrics with the request histogram by route template', async () => {
    await app.inject({ method: 'POST', url: '/v1/things/1190a000-0000-7000-8000-00000000000a/freeze' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toContain('process_cpu_user_seconds_total');
    expect(response.body).toMatch(
      /http_request_duration_seconds_count\{[^}]*method="POST"[^}]*route="\/v1\/things\/:id\/freeze"[^}]*status_code="200"/,
    );
    expect(response.body).not.toContain('1190a000-0000-7000-8000-00000000000a');
  });

  it('serves the OpenAPI document without the ops routes', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/things', '/v1/things/{id}/freeze']),
    );
    for (const hidden of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'])
      expect(document.paths[hidden]).toBeUndefined();
    // Problems every route can cause are documented without each route listing them.
    expect(Object.keys(document.paths['/v1/things']!['post']!.responses).sort()).toEqual([
      '201',
      '400',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    expect(Object.keys(document.paths['/v1/things/{id}/freeze']!['post']!.responses).sort()).toEqual([
      '200',
      '400',
      '404',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
  });

  it('serves the documentation UI at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });

  it('sets helmet security headers on answers and on problems alike', async () => {
    for (const url of ['/healthz', '/no-such-route']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['strict-transport-security'], url).toMatch(/^max-age=\d+/);
      expect(response.headers['content-security-policy'], url).toMatch(/default-src 'self'/);
      expect(response.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(response.headers['x-powered-by'], url).toBeUndefined();
      // Every header helmet itself sets on a real response, with the same value.
      expect(response.headers, url).toMatchObject(headersHelmetSets());
    }
  });
});

describe('readiness', () => {
  it('is ready when every check passes and names the ones that fail', async () => {
    const probe = await buildServiceApp({
      service_name: 'probe',
      log_level: 'silent',
      rate_limit: { max: 100, time_window_ms: 60_000 },
      readiness_timeout_ms: 200,
      readiness_checks: {
        database: async () => undefined,
        redis: async () => {
          throw new Error('connection refused');
        },
        slow: () => new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      },
    });
    const response = await probe.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', redis: 'failed', slow: 'failed' },
      failed: ['redis', 'slow'],
    });
    await probe.close();

    const healthy = await buildServiceApp({
      service_name: 'probe',
      log_level: 'silent',
      rate_limit: { max: 100, time_window_ms: 60_000 },
      readiness_checks: { database: async () => undefined },
    });
    const ready = await healthy.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' }, failed: [] });
    await healthy.close();
  });
});

describe('route rules', () => {
  it('refuses an API route without a success response schema', async () => {
    const strict = await buildServiceApp({
      service_name: 'strict',
      log_level: 'silent',
      rate_limit: { max: 100, time_window_ms: 60_000 },
    });
    expect(() => strict.get('/v1/loose', async () => ({ anything: true }))).toThrowError(
      /must declare a response schema/,
    );
    await strict.close();
  });
});

/** What helmet's own middleware leaves on a real Node response. */
function headersHelmetSets(): Record<string, string> {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  helmet()(response.req, response, () => undefined);
  return Object.fromEntries(
    Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]),
  );
}
