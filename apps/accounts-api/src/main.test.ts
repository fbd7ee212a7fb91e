import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createTestDatabase, testServices, uniqueQueuePrefix, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `main.ts` as a process: what an operator sees when starting and stopping the service. */
const root = path.resolve(import.meta.dirname, '../../..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
const main = path.join(root, 'apps/accounts-api/src/main.ts');

// Starting a process compiles the whole import graph with tsx: seconds alone, much longer while the
// rest of the suite runs in parallel.
const PROCESS_TIMEOUT_MS = 110_000;
const TEST_TIMEOUT_MS = 120_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts main.ts with exactly `env`; `whenListening` runs once it logs its address, then it gets SIGTERM.
 * `onOutput` sees its standard output so far, each time more arrives.
 */
function start(
  env: Record<string, string>,
  whenListening?: (url: string) => Promise<void>,
  onOutput?: (stdout: string) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, main], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { code: null, stdout: '', stderr: '' };
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString('utf8');
      onOutput?.(run.stdout);
      const address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout);
      if (address !== null && !started) {
        started = true;
        (whenListening ?? (async () => undefined))(address[1]!).then(
          () => child.kill('SIGTERM'),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error);
          },
        );
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
    child.on('exit', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
  });
}

const BOOTSTRAP_SECRET = 'a-bootstrap-secret-of-at-least-32-chars';

function bootstrapAdmin(client_id: string): Record<string, string> {
  return { BOOTSTRAP_ADMIN_CLIENT_ID: client_id, BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP_SECRET };
}

/** The status of a token request by the bootstrap admin `client_id`. */
async function loginStatus(url: string, client_id: string): Promise<number> {
  const response = await fetch(`${url}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id, client_secret: BOOTSTRAP_SECRET }),
  });
  return response.status;
}

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}

let database: TestDatabase;
let baseEnv: Record<string, string>;
beforeAll(async () => {
  database = await createTestDatabase();
  baseEnv = {
    DATABASE_URL: database.url,
    REDIS_URL: testServices().redis_url,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    PORT: '0',
    JWT_SECRET: 'a-jwt-secret-for-the-main-test-0123456789',
    LOG_LEVEL: 'info',
  };
});
afterAll(() => database.drop());

describe('accounts-api main', () => {
  it('starts, creates the bootstrap admin, serves and shuts down cleanly on SIGTERM', async () => {
    const env = { ...baseEnv, ...bootstrapAdmin('bootstrap-admin') };
    let tokenStatus = 0;
    let readyStatus = 0;
    const run = await start(env, async (url) => {
      readyStatus = (await fetch(`${url}/readyz`)).status;
      tokenStatus = await loginStatus(url, 'bootstrap-admin');
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readyStatus).toBe(200);
    expect(tokenStatus).toBe(200);
    expect(run.stdout).toContain('built-in development key');
    expect(run.stdout).not.toContain(BOOTSTRAP_SECRET);
  }, TEST_TIMEOUT_MS);

  it('waits for a database that is not reachable yet instead of exiting', async () => {
    // The database's port is closed when the service starts and opens (a TCP relay to the real
    // server) once the service has said it is waiting, as when Postgres restarts beside the service.
    const postgres = new URL(database.url);
    const port = await closedPort();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(postgres.port), postgres.hostname);
      client.pipe(upstream).pipe(client);
      const close = () => (client.destroy(), upstream.destroy());
      client.on('error', close);
      upstream.on('error', close);
    });
    try {
      const through = new URL(database.url);
      through.host = `127.0.0.1:${port}`;
      let tokenStatus = 0;
      let opened = false;
      const run = await start(
        { ...baseEnv, DATABASE_URL: through.toString(), ...bootstrapAdmin('patient-admin') },
        async (url) => {
          tokenStatus = await loginStatus(url, 'patient-admin');
        },
        (stdout) => {
          if (opened || !stdout.includes('database unavailable at start')) return;
          opened = true;
          relay.listen(port, '127.0.0.1');
        },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(tokenStatus).toBe(200);
      expect(run.stdout).toContain('database unavailable at start; retrying the bootstrap admin');
    } finally {
      await new Promise((closed) => relay.close(closed));
    }
  }, TEST_TIMEOUT_MS);

  it('exits with 1 and one line, no stack, on bad configuration', async () => {
    const run = await start({ ...baseEnv, PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^accounts-api: Invalid configuration: PORT .*"eighty"\)\n$/);
    expect(run.stdout).toBe('');

    // A keyring can only be judged once parsed; it is still bad configuration, said in one line.
    const badKeyring = await start({ ...baseEnv, ENCRYPTION_KEYS: 'k2027-without-a-key', ENCRYPTION_ACTIVE_KEY_ID: 'k2027' });
    expect(badKeyring.code).toBe(1);
    expect(badKeyring.stderr).toMatch(/^accounts-api: Invalid keyring: [^\n]*\n$/);
    expect(badKeyring.stdout).toBe('');
  }, TEST_TIMEOUT_MS);
});
