import { createServer } from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGatewayApp } from './app';

/** Two small stand-in services that report who answered and which request id they saw. */
async function startUpstream(name: string, paths: string[]): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  app.all('/*', async (request) => ({
    service: name,
    url: request.url,
    request_id: request.headers['x-request-id'],
    forwarded_for: request.headers['x-forwarded-for'],
  }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.get('/openapi.json', async () => ({
    openapi: '3.0.3',
    info: { title: name, version: '1' },
    paths: Object.fromEntries(paths.map((path) => [path, { get: { operationId: `${name}${path}` } }])),
    components: { schemas: { Problem: { type: 'object' }, [`${name}Thing`]: { type: 'string' } } },
  }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

let accounts: Awaited<ReturnType<typeof startUpstream>>;
let transactions: Awaited<ReturnType<typeof startUpstream>>;
let compliance: Awaited<ReturnType<typeof startUpstream>>;
let ops: Awaited<ReturnType<typeof startUpstream>>;
let gateway: FastifyInstance;

/** Every upstream at its stand-in, with `replaced` swapped in. */
function upstreams(
  replaced: Partial<Record<'accounts' | 'transactions' | 'compliance' | 'ops', string>> = {},
) {
  return {
    accounts: accounts.url,
    transactions: transactions.url,
    compliance: compliance.url,
    ops: ops.url,
    ...replaced,
  };
}

beforeAll(async () => {
  accounts = await startUpstream('accounts', ['/v1/accounts', '/v1/customers']);
  transactions = await startUpstream('transactions', ['/v1/transfers']);
  compliance = await startUpstream('compliance', ['/v1/compliance/cases']);
  ops = await startUpstream('ops', ['/v1/ops/queues']);
  gateway = await buildGatewayApp({
    upstreams: upstreams(),
    log_level: 'silent',
    upstream_timeout_ms: 5_000,
  });
});

afterAll(async () => {
  await gateway.close();
  await accounts.app.close();
  await transactions.app.close();
  await compliance.app.close();
  await ops.app.close();
});

describe('gateway routing', () => {
  it.each([
    ['/v1/transfers', 'transactions'],
    ['/v1/transfers/0190b4a0-0000-7000-8000-000000000000/capture', 'transactions'],
    ['/v1/transfers/batch', 'transactions'],
    ['/v1/deposits', 'transactions'],
    ['/v1/withdrawals', 'transactions'],
    ['/v1/accounts/abc/entries?limit=5', 'accounts'],
    ['/v1/customers', 'accounts'],
    ['/v1/auth/token', 'accounts'],
    ['/v1/clients', 'accounts'],
    ['/v1/compliance/cases?status=open', 'compliance'],
    ['/v1/compliance/reports/0190b4a0-0000-7000-8000-000000000000/download', 'compliance'],
    ['/v1/ops/queues', 'ops'],
    ['/v1/ops/queues/ledger/jobs/advance-x/retry', 'ops'],
    ['/admin/queues', 'ops'],
    ['/admin/queues/api/queues?page=1', 'ops'],
    // Unlisted paths belong to the accounts service, as behind nginx.
    ['/docs', 'accounts'],
    ['/v2/anything?x=1', 'accounts'],
  ])('sends %s to the %s service, path and query intact', async (url, service) => {
    const response = await gateway.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ service, url });
  });

  it("answers internal paths (a service's /metrics) itself with the services' 404 problem, never passing them on", async () => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await gateway.inject({
        method,
        url: '/metrics?name[]=x',
        headers: { 'x-request-id': 'scraper-1' },
      });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['x-request-id']).toBe('scraper-1');
      expect(response.json()).toEqual({
        type: 'urn:ledgerline:problem:not_found',
        title: 'The resource does not exist',
        status: 404,
        detail: 'No resource matches this request.',
        code: 'not_found',
      });
    }
  });

  it('keeps a client request id and passes it to the service', async () => {
    const response = await gateway.inject({
      method: 'GET',
      url: '/v1/accounts',
      headers: { 'x-request-id': 'client-id-123' },
    });
    expect(response.headers['x-request-id']).toBe('client-id-123');
    expect(response.json().request_id).toBe('client-id-123');
  });

  it('logs one access line per proxied request, under the request_id label the services use', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const logged = await buildGatewayApp({
      upstreams: upstreams(),
      log_level: 'info',
      upstream_timeout_ms: 5_000,
      log_destination: destination,
    });
    try {
      await logged.inject({
        method: 'GET',
        url: '/v1/accounts?limit=5',
        headers: { 'x-request-id': 'trace-me-42' },
      });
    } finally {
      await logged.close();
    }
    const about = lines.filter((line) => line['request_id'] === 'trace-me-42');
    expect(about).toEqual([
      expect.objectContaining({ msg: 'request completed', method: 'GET', path: '/v1/accounts', status: 200 }),
    ]);
    expect(lines.some((line) => 'reqId' in line)).toBe(false);
  });

  it('tells the service the address that connected, whatever X-Forwarded-For the client sent', async () => {
    const spoofed = await gateway.inject({
      method: 'GET',
      url: '/v1/accounts',
      remoteAddress: '203.0.113.9',
      headers: { 'x-forwarded-for': '10.9.9.9' },
    });
    expect(spoofed.json()).toMatchObject({ service: 'accounts', forwarded_for: '203.0.113.9' });
  });

  it('generates a request id when the client sent none or a malformed one', async () => {
    const response = await gateway.inject({
      method: 'GET',
      url: '/v1/accounts',
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.json().request_id).toBe(id);
  });

  it('serves one OpenAPI document with every service path', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(Object.keys(document.paths).sort()).toEqual([
      '/v1/accounts',
      '/v1/compliance/cases',
      '/v1/customers',
      '/v1/ops/queues',
      '/v1/transfers',
    ]);
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'Problem',
      'accountsThing',
      'complianceThing',
      'opsThing',
      'transactionsThing',
    ]);
    expect(document.info.title).toBe('Ledgerline API');
  });

  it('answers a problem naming no internal address when an upstream refuses the connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const dead = await buildGatewayApp({
      upstreams: upstreams({ transactions: `http://127.0.0.1:${port}` }),
      log_level: 'silent',
      upstream_timeout_ms: 1_000,
    });
    try {
      // Over a real connection: light-my-request surfaces the upstream's error of a POST as a rejection.
      const url = await dead.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${url}/v1/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const body = await response.text();
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(JSON.parse(body)).toMatchObject({
        type: 'urn:ledgerline:problem:unavailable',
        status: 502,
        code: 'unavailable',
      });
      expect(body).not.toContain('127.0.0.1');
      expect(body).not.toContain('ECONNREFUSED');
    } finally {
      await dead.close();
    }
  });

  it('answers 504 when an upstream does not answer within the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const slow = await buildGatewayApp({
      upstreams: upstreams({ accounts: `http://127.0.0.1:${port}` }),
      log_level: 'silent',
      upstream_timeout_ms: 300,
    });
    try {
      const started_ms = Date.now();
      const response = await slow.inject({ method: 'GET', url: '/v1/accounts' });
      expect(response.statusCode).toBe(504);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 504,
        code: 'unavailable',
        detail: expect.stringContaining('same Idempotency-Key'),
      });
      expect(Date.now() - started_ms).toBeLessThan(5_000);
    } finally {
      await slow.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('streams a sanctions list upload far above its own 1 MiB limit through to the compliance service', async () => {
    // A stand-in that reads the whole body and says how much arrived, whatever its media type.
    const received: Array<{ url: string; bytes: number; content_type: string | undefined }> = [];
    const counting = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        received.push({ url: request.url ?? '', bytes, content_type: request.headers['content-type'] });
        response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes }));
      });
    });
    await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
    const { port } = counting.address() as AddressInfo;
    const uploading = await buildGatewayApp({
      upstreams: upstreams({ compliance: `http://127.0.0.1:${port}` }),
      log_level: 'silent',
      upstream_timeout_ms: 10_000,
    });
    try {
      const url = await uploading.listen({ host: '127.0.0.1', port: 0 });
      const body = 'ent_num,SDN_Name\r\n'.repeat(400_000); // about 7 MB
      const response = await fetch(`${url}/v1/compliance/sanctions-lists`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body,
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ bytes: body.length });
      expect(received).toEqual([
        { url: '/v1/compliance/sanctions-lists', bytes: body.length, content_type: 'text/csv' },
      ]);
    } finally {
      await uploading.close();
      counting.closeAllConnections();
      await new Promise((resolve) => counting.close(resolve));
    }
  });

  it('is ready only when every service is ready', async () => {
    expect((await gateway.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const broken = await buildGatewayApp({
      upstreams: upstreams({ transactions: 'http://127.0.0.1:1' }),
      log_level: 'silent',
      upstream_timeout_ms: 1_000,
    });
    const response = await broken.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().failing).toEqual(['transactions']);
    await broken.close();
  });
});
