import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTokens, TEST_AUTH_CONFIG } from '@ledgerline/auth/testing';
import { createTestDatabase, testServices, type TestDatabase } from '@ledgerline/db/testing';
import { seedAccount, seedCustomer } from './test-support';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
const WORKSPACE_ROOT = path.resolve(import.meta.dirname, '../../..');

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

function start(environment: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: WORKSPACE_ROOT,
    // Only what the test names: the app must not depend on anything else in the environment.
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function authEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(TEST_AUTH_CONFIG).map(([name, value]) => [name, String(value)]));
}

describe('main', () => {
  it('exits 1 with one line naming the bad variable', async () => {
    const app = start({ ...authEnvironment(), PORT: 'eighty' });
    const [code] = await app.exited;
    expect(code).toBe(1);
    expect(app.output().stderr).toBe(
      'transactions-api: Invalid configuration: PORT must be integer (got "eighty")\n',
    );

    const noSecret = start({ IDEMPOTENCY_TTL_SECONDS: '3600' });
    expect((await noSecret.exited)[0]).toBe(1);
    expect(noSecret.output().stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^transactions-api: Invalid configuration: IDEMPOTENCY_TTL_SECONDS/),
    ]);

    const holdsCrossed = start({
      ...authEnvironment(),
      HOLD_EXPIRES_IN_SECONDS_DEFAULT: '7200',
      HOLD_EXPIRES_IN_SECONDS_MAX: '3600',
    });
    expect((await holdsCrossed.exited)[0]).toBe(1);
    expect(holdsCrossed.output().stderr).toBe(
      'transactions-api: Invalid configuration: HOLD_EXPIRES_IN_SECONDS_DEFAULT must not exceed HOLD_EXPIRES_IN_SECONDS_MAX\n',
    );
  });

  it('serves transfers, reports ready, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const app = start({
      ...authEnvironment(),
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: testServices().redis_url,
      QUEUE_PREFIX: `${testServices().run_id}-main`,
      LOG_LEVEL: 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      for (let attempt = 0; ; attempt += 1) {
        const ready = await fetch(`${base}/readyz`).catch(() => undefined);
        if (ready?.status === 200) break;
        if (attempt > 300 || app.child.exitCode !== null)
          throw new Error(`not ready: ${JSON.stringify(app.output())}`);
        await sleep(100);
      }
      const customer = await seedCustomer(database.pool);
      const source = await seedAccount(database.pool, { customer_id: customer });
      const destination = await seedAccount(database.pool, { customer_id: customer });
      const response = await fetch(`${base}/v1/transfers`, {
        method: 'POST',
        headers: {
          authorization: createTestTokens().bearer('service'),
          'content-type': 'application/json',
          'idempotency-key': 'main-test-1',
        },
        body: JSON.stringify({
          source_account_id: source,
          destination_account_id: destination,
          amount: '1.00',
          currency: 'USD',
        }),
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('location')).toMatch(/^\/v1\/transfers\//);
    } finally {
      app.child.kill('SIGTERM');
    }
    const [code] = await app.exited;
    expect(code, JSON.stringify(app.output())).toBe(0);
  });
});
