import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { buildServiceApp } from '../app/build-service-app';

const fixture = fileURLToPath(new URL('./graceful-shutdown.fixture.ts', import.meta.url));

/** Starts the fixture service and resolves with its port and a promise of its exit code and output. */
async function startService(grace_ms: number, slow_ms: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, String(grace_ms), String(slow_ms)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => reject(new Error(`fixture exited early: ${output}`)));
  });
  return { child, port, exited };
}

describe('installGracefulShutdown', () => {
  it('lets in-flight requests finish on SIGTERM, then exits 0', async () => {
    const service = await startService(5_000, 600);
    const inFlight = fetch(`http://127.0.0.1:${service.port}/v1/slow`);
    await sleep(150);
    service.child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    const { code, output } = await service.exited;
    expect(code).toBe(0);
    expect(output).toContain('shutting down');
  }, 60_000);

  it('exits 1 when requests outlast the grace period', async () => {
    const service = await startService(200, 5_000);
    const inFlight = fetch(`http://127.0.0.1:${service.port}/v1/slow`).catch((error: unknown) => error);
    await sleep(150);
    service.child.kill('SIGTERM');
    const { code } = await service.exited;
    expect(code).toBe(1);
    await inFlight;
  }, 60_000);
});

describe('closing', () => {
  it('answers a 503 problem with a request id to requests that arrive on an open connection while in-flight ones finish', async () => {
    const app = await buildServiceApp({
      service_name: 'closing',
      log_level: 'silent',
      rate_limit: { max: 100, time_window_ms: 60_000 },
    });
    // The slow request holds until the test lets it go, so the order of events does not depend on timing.
    let started!: () => void;
    const slowStarted = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    app.get(
      '/v1/slow',
      { schema: { response: { 200: Type.Object({ done: Type.Boolean() }) } } },
      async () => {
        started();
        await released;
        return { done: true };
      },
    );
    const address = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
    const socket = connect(Number(address.port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write(`GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\n`);
    await slowStarted;
    const closed = app.close();
    socket.write(`GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\n`);
    // Let the server read the second (pipelined) request before the first one finishes.
    await sleep(100);
    release();
    await closed;
    await ended;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
    expect(statuses).toEqual([200, 503]);
    const refused = received.slice(received.lastIndexOf('HTTP/1.1 503'));
    expect(refused).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(refused).toMatch(/\r\nx-request-id: \S+/i);
    expect(refused).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(refused).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 503,
      code: 'unavailable',
    });
  });
});
