import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@ledgerline/processes';
import {
  INTERNAL_PATHS,
  LARGE_BODY_ROUTES,
  NO_ROUTE_DETAIL,
  ROUTED_PREFIXES,
  UPSTREAM_NAMES,
  type UpstreamName,
} from '@ledgerline/config';
import { PROBLEM_CONTENT_TYPE, problemBody } from '@ledgerline/http/problems';
import { LOG_DIRECTORY } from './processes';

/** The load balancer in front of the services when the machine has nginx, as in production (infra/nginx). */
export interface Nginx {
  url: string;
  /** `nginx/1.22.1`, for results.json. */
  version: string;
  /** The pids of its master and worker, for CPU accounting. */
  pids(): number[];
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** nginx's version when it is on PATH, else undefined (the benchmark then uses the Node gateway). */
export function nginxVersion(): string | undefined {
  const probe = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return undefined;
  return /nginx\/\S+/.exec(probe.stderr)?.[0] ?? 'nginx';
}

/**
 * The location that answers an internal path (INTERNAL_PATHS, `/metrics`) at the edge with the services'
 * own 404 problem, as infra/nginx/ledgerline.conf has it (nginx.test.ts holds the two to the same line).
 */
export function internalPathLocation(internal: string): string {
  const body = JSON.stringify(problemBody('not_found', NO_ROUTE_DETAIL));
  return `location = ${internal} { default_type ${PROBLEM_CONTENT_TYPE}; add_header X-Content-Type-Options nosniff always; return 404 '${body}'; }`;
}

/**
 * The server block of infra/nginx/ledgerline.conf, for one replica of each service on this machine:
 * the same routes (the gateway's ROUTED_PREFIXES, and LARGE_BODY_ROUTES with their body limits),
 * keep-alive upstream connections, request ids
 * passed on or made, a buffered access log. One worker process: the machines this runs on are small.
 * The access log is `combined` followed by nginx's own times (request, upstream connect, header and
 * response, in seconds), so a slow request can be placed: at nginx, on its way to the service, or in it.
 */
export function nginxConfig(options: {
  port: number;
  upstreams: Record<UpstreamName, string>;
  directory: string;
}): string {
  const upstreamBlock = (name: UpstreamName) => `
    upstream ${name} {
      server ${new URL(options.upstreams[name]).host};
      keepalive 64;
      keepalive_requests 1000000;
    }`;
  const locations = [
    ...ROUTED_PREFIXES.map(
      ({ prefix, upstream }) => `      location ${prefix} { proxy_pass http://${upstream}; }`,
    ),
    // Longer prefixes win in nginx, whatever their order.
    ...LARGE_BODY_ROUTES.map(
      ({ path: route, upstream, body_limit_bytes }) =>
        `      location ${route} { client_max_body_size ${body_limit_bytes}; proxy_pass http://${upstream}; }`,
    ),
    ...INTERNAL_PATHS.map((internal) => `      ${internalPathLocation(internal)}`),
  ];
  return `
daemon off;
worker_processes 1;
pid ${path.join(options.directory, 'nginx.pid')};
error_log ${path.join(LOG_DIRECTORY, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  log_format timed '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent '
                   'rt=$request_time uct=$upstream_connect_time uht=$upstream_header_time urt=$upstream_response_time';
  access_log ${path.join(LOG_DIRECTORY, 'nginx-access.log')} timed buffer=64k flush=1s;
  client_body_temp_path ${path.join(options.directory, 'body')};
  proxy_temp_path ${path.join(options.directory, 'proxy')};
  fastcgi_temp_path ${path.join(options.directory, 'fastcgi')};
  uwsgi_temp_path ${path.join(options.directory, 'uwsgi')};
  scgi_temp_path ${path.join(options.directory, 'scgi')};
  ${UPSTREAM_NAMES.map(upstreamBlock).join('\n  ')}
  map $http_x_request_id $ledgerline_request_id {
    default $http_x_request_id;
    "" $request_id;
  }
  server {
    listen 127.0.0.1:${options.port};
    client_max_body_size 1m;
    # nginx closes a client connection after 1,000 requests by default; a load generator's request
    # in flight at that moment would count as an error that no client of a keep-alive API should see.
    keepalive_requests 1000000;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $ledgerline_request_id;
    proxy_read_timeout 35s;
    proxy_next_upstream error timeout;
${locations.join('\n')}
      location / { proxy_pass http://accounts; }
  }
}
`;
}

/** Starts nginx on a spare port in front of `upstreams`; resolves once it answers. */
export async function startNginx(options: {
  upstreams: Record<UpstreamName, string>;
  directory: string;
  version: string;
}): Promise<Nginx> {
  const port = await freePort();
  rmSync(options.directory, { recursive: true, force: true });
  mkdirSync(options.directory, { recursive: true });
  mkdirSync(LOG_DIRECTORY, { recursive: true });
  const configFile = path.join(options.directory, 'nginx.conf');
  writeFileSync(
    configFile,
    nginxConfig({ port, upstreams: options.upstreams, directory: options.directory }),
  );
  const master: ChildProcess = spawn('nginx', ['-c', configFile, '-p', options.directory], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => master.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (master.exitCode !== null)
      throw new Error(`nginx exited with ${master.exitCode}; see ${LOG_DIRECTORY}/nginx-error.log`);
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`nginx did not answer on ${url} within ${READY_TIMEOUT_MS} ms`);
      await sleep(50);
    }
  }
  return {
    url,
    version: options.version,
    pids: () => {
      const children = spawnSync('pgrep', ['-P', String(master.pid)], { encoding: 'utf8' }).stdout;
      return [master.pid ?? -1, ...children.split('\n').filter(Boolean).map(Number)].filter((pid) => pid > 0);
    },
    async stop() {
      if (master.exitCode === null) {
        master.kill('SIGTERM');
        await exited;
      }
      rmSync(options.directory, { recursive: true, force: true });
    },
  };
}
