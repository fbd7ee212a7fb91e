import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INTERNAL_PATHS, NO_ROUTE_DETAIL, UPSTREAM_NAMES, type UpstreamName } from '@ledgerline/config';
import { problemBody } from '@ledgerline/http/problems';
import { freePort, HTTP_APPS } from '@ledgerline/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxVersion, startNginx, type Nginx } from './nginx';

/**
 * The edge's nginx, both the production configuration (infra/nginx, its upstream hosts pointed at a stub
 * here) and the benchmark's rendering of the same routes, run for real: internal paths end at the edge
 * with the services' own 404 problem, and everything else still reaches a service.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const EXPECTED_PROBLEM = problemBody('not_found', NO_ROUTE_DETAIL);

/** One stub for every upstream: it answers 200 with the path it was asked for. */
async function startStubUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ upstream: true, url: request.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** infra/nginx/ledgerline.conf inside a minimal nginx.conf, its upstream hosts and port made local. */
async function startInfraNginx(
  directory: string,
  stub_url: string,
): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const stubHost = new URL(stub_url).host;
  const server = readFileSync(path.join(ROOT, 'infra/nginx/ledgerline.conf'), 'utf8')
    .replace(/server [a-z-]+(-\d)?:\d+/g, `server ${stubHost}`)
    .replace(/listen 3000;/, `listen 127.0.0.1:${port};`);
  const configFile = path.join(directory, 'nginx.conf');
  writeFileSync(
    configFile,
    `daemon off; worker_processes 1; pid ${directory}/nginx.pid; error_log ${directory}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${directory}/body; proxy_temp_path ${directory}/proxy; fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi; scgi_temp_path ${directory}/scgi;
  ${server}
}
`,
  );
  const child = spawn('nginx', ['-c', configFile, '-p', directory], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${url}/healthz`);
      return { url, process: child };
    } catch (error) {
      if (attempt > 100 || child.exitCode !== null)
        throw new Error(`nginx did not start: ${readFileSync(`${directory}/error.log`, 'utf8')}`, {
          cause: error,
        });
      await sleep(50);
    }
  }
}

async function expectEdgeRefuses(base_url: string, internal: string): Promise<void> {
  const response = await fetch(`${base_url}${internal}`);
  expect(response.status, internal).toBe(404);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await response.json()).toEqual(EXPECTED_PROBLEM);
}

describe('the edge (nginx)', () => {
  let stub: { server: Server; url: string };
  let directory: string;
  let infra: { url: string; process: ChildProcess };
  let bench: Nginx;

  beforeAll(async () => {
    expect(nginxVersion(), 'nginx must be installed (apt-get install nginx; .ci/run does)').toBeDefined();
    directory = mkdtempSync(path.join(tmpdir(), 'ledgerline-nginx-'));
    stub = await startStubUpstream();
    infra = await startInfraNginx(path.join(directory), stub.url);
    const upstreams = Object.fromEntries(UPSTREAM_NAMES.map((name) => [name, stub.url])) as Record<
      UpstreamName,
      string
    >;
    bench = await startNginx({ upstreams, directory: path.join(directory, 'bench'), version: 'test' });
  });
  afterAll(async () => {
    infra?.process.kill('SIGTERM');
    await bench?.stop();
    await new Promise((resolve) => stub?.server.close(resolve));
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it("answers internal paths with the services' own 404 problem, in production's configuration and the benchmark's", async () => {
    expect(INTERNAL_PATHS).toContain('/metrics');
    for (const internal of INTERNAL_PATHS) {
      await expectEdgeRefuses(infra.url, internal);
      await expectEdgeRefuses(bench.url, internal);
    }
  });

  it('still sends every other path to a service, query intact', async () => {
    for (const base of [infra.url, bench.url]) {
      for (const url of ['/v1/accounts?limit=5', '/v1/transfers', '/metrics-and-more', '/docs']) {
        const response = await fetch(`${base}${url}`);
        expect(response.status, `${base}${url}`).toBe(200);
        expect(await response.json()).toEqual({ upstream: true, url });
      }
    }
  });

  it('lets only the edge, the gateway and Prometheus reach the APIs in Kubernetes, which believe X-Forwarded-For', () => {
    const manifest = readFileSync(path.join(ROOT, 'infra/k8s/ledgerline.yaml'), 'utf8');
    const apis = HTTP_APPS.filter((app) => app !== 'gateway');
    expect(manifest).toContain(
      `matchExpressions: [{ key: app, operator: In, values: [${apis.join(', ')}] }]`,
    );
    expect(manifest.match(/TRUST_PROXY, value: "true"/g)).toHaveLength(apis.length);
  });

  it('sends internal paths to the gateway in the Kubernetes Ingress, which refuses them the same way', () => {
    const manifest = readFileSync(path.join(ROOT, 'infra/k8s/ledgerline.yaml'), 'utf8');
    for (const internal of INTERNAL_PATHS) {
      expect(manifest).toContain(
        `{ path: ${internal}, pathType: Exact, backend: { service: { name: gateway, port: { number: 3000 } } } }`,
      );
    }
  });
});
