import net from 'node:net';
import path from 'node:path';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import { expectOneLineConfigError, spawnApp, type SpawnedApp } from '@ledgerline/queue/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `main.ts` as a process: what an operator sees when starting and stopping the service. */
const MAIN = path.resolve(import.meta.dirname, 'main.ts');

// Starting a process compiles the whole import graph with tsx: seconds alone, much longer while the
// rest of the suite runs in parallel.
const LISTEN_TIMEOUT_MS = 100_000;
const TEST_TIMEOUT_MS = 120_000;

const BOOTSTRAP_SECRET = 'a-bootstrap-secret-of-at-least-32-chars';

function bootstrapAdmin(client_id: string): Record<string, string> {
  return { BOOTSTRAP_ADMIN_CLIENT_ID: client_id, BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP_SECRET };
}

/** The address the service logs once it listens. */
async function listeningAt(run: SpawnedApp): Promise<string> {
  const address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;
  const line = await run.waitForLine(
    (candidate) => typeof candidate === 'object' && address.test(String(candidate['msg'])),
    LISTEN_TIMEOUT_MS,
  );
  return address.exec(String((line as Record<string, unknown>)['msg']))![1]!;
}

/** Sends SIGTERM and returns how the service exited. */
async function stop(run: SpawnedApp) {
  run.kill('SIGTERM');
  return run.exited;
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
  it(
    'starts, creates the bootstrap admin, serves and shuts down cleanly on SIGTERM',
    async () => {
      const run = spawnApp(MAIN, { ...baseEnv, ...bootstrapAdmin('bootstrap-admin') });
      try {
        const url = await listeningAt(run);
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        expect(await loginStatus(url, 'bootstrap-admin')).toBe(200);
        const exit = await stop(run);
        expect(exit.stderr).toBe('');
        expect(exit.code).toBe(0);
        expect(exit.stdout).toContain('built-in development key');
        expect(exit.stdout).not.toContain(BOOTSTRAP_SECRET);
      } finally {
        run.kill('SIGKILL');
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'waits for a database that is not reachable yet instead of exiting',
    async () => {
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
      const through = new URL(database.url);
      through.host = `127.0.0.1:${port}`;
      const run = spawnApp(MAIN, {
        ...baseEnv,
        DATABASE_URL: through.toString(),
        ...bootstrapAdmin('patient-admin'),
      });
      try {
        await run.waitForLine(
          (line) => typeof line === 'object' && String(line['msg']).includes('database unavailable at start'),
          LISTEN_TIMEOUT_MS,
        );
        relay.listen(port, '127.0.0.1');
        const url = await listeningAt(run);
        expect(await loginStatus(url, 'patient-admin')).toBe(200);
        const exit = await stop(run);
        expect(exit.stderr).toBe('');
        expect(exit.code).toBe(0);
        expect(exit.stdout).toContain('database unavailable at start; retrying the bootstrap admin');
      } finally {
        run.kill('SIGKILL');
        await new Promise((closed) => relay.close(closed));
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exits with 1 and one line, no stack, on bad configuration',
    async () => {
      await expectOneLineConfigError(
        MAIN,
        { ...baseEnv, PORT: 'eighty' },
        /^accounts-api: Invalid configuration: PORT .*"eighty"\)$/,
      );
      // A keyring can only be judged once parsed; it is still bad configuration, said in one line.
      await expectOneLineConfigError(
        MAIN,
        { ...baseEnv, ENCRYPTION_KEYS: 'k2027-without-a-key', ENCRYPTION_ACTIVE_KEY_ID: 'k2027' },
        /^accounts-api: Invalid keyring: [^\n]*$/,
      );
      // The key written in the source protects nothing: production refuses it.
      await expectOneLineConfigError(
        MAIN,
        { ...baseEnv, NODE_ENV: 'production' },
        /^accounts-api: Invalid keyring: the built-in development key is not for production/,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
