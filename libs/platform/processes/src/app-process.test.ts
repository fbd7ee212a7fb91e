import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess, freePort, waitUntil, type AppProcessEvent } from './index';

/** Small programs standing in for apps: the class runs any JavaScript file the way it runs a bundle. */
const PROGRAMS = {
  server: `
import { createServer } from 'node:http';
console.log(JSON.stringify({ level: 30, msg: 'listening' }));
console.log(JSON.stringify({ level: 40, msg: 'a warning', marker: process.env.MARKER }));
createServer((request, response) => response.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`,
  crash: `
console.log(JSON.stringify({ level: 30, msg: 'worker started' }));
console.error('fatal: about to crash');
setTimeout(() => process.exit(3), 100);
`,
  stubborn: `
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log(JSON.stringify({ level: 30, msg: 'stubborn started' }));
setInterval(() => undefined, 1_000);
`,
};

let directory: string;
const entry = (program: keyof typeof PROGRAMS) => ({
  name: program,
  entry: path.join(directory, `${program}.mjs`),
});
const running: AppProcess[] = [];
const track = (app: AppProcess) => (running.push(app), app);

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-app-process-'));
  for (const [name, source] of Object.entries(PROGRAMS))
    await writeFile(path.join(directory, `${name}.mjs`), source);
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.close({ signal: 'SIGKILL' })));
  await rm(directory, { recursive: true, force: true });
});

describe('AppProcess', () => {
  it('runs a program with its environment, logs to a file, answers readiness and reports memory', async () => {
    const port = await freePort();
    const log_file = path.join(directory, 'logs', 'server.log');
    const events: AppProcessEvent[] = [];
    const app = track(
      new AppProcess(entry('server'), {
        environment: { PORT: String(port), MARKER: 'from-the-test' },
        log_file,
        ready: { http: `http://127.0.0.1:${port}`, path: '/' },
        on_event: (event) => events.push(event),
      }),
    );
    app.start();
    await app.waitReady({ timeout_ms: 10_000 });
    expect(app.running).toBe(true);
    expect(app.pid).toBeGreaterThan(0);
    expect(app.outputLines).toContain('{"level":30,"msg":"listening"}');
    expect(app.notableOutput()).toContain('from-the-test');
    expect(app.notableOutput()).not.toContain('listening');
    if (existsSync('/proc/self/status')) {
      const memory = app.memory();
      expect(memory?.rss_bytes).toBeGreaterThan(1_000_000);
      expect(memory?.peak_rss_bytes).toBeGreaterThanOrEqual(memory?.rss_bytes ?? 0);
    }
    await app.close();
    expect(app.running).toBe(false);
    // Read before it exited, still there after.
    if (existsSync('/proc/self/status')) expect(app.memory()?.rss_bytes).toBeGreaterThan(0);
    expect(events.map((event) => event.kind)).toEqual(['started', 'exited']);
    expect(events[1]).toMatchObject({ planned: true });
    expect(app.unplanned_exits).toBe(0);
    const log = await readFile(log_file, 'utf8');
    expect(log).toContain('"msg":"listening"');
    expect(log).toContain('"process":"started pid');
    // Closed for good.
    app.start();
    expect(app.running).toBe(false);
  });

  it('is ready by a log message, and counts and restarts an exit nobody asked for', async () => {
    const app = track(
      new AppProcess(entry('crash'), {
        ready: { log_message: 'worker started' },
        supervise: { restart_delay_ms: (restart) => (restart <= 2 ? 10 : undefined) },
      }),
    );
    app.start();
    await app.waitReady({ timeout_ms: 10_000, interval_ms: 10 });
    await waitUntil(async () => app.unplanned_exits === 3, { timeout_ms: 10_000, what: 'three crashes' });
    expect(app.restarts).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.running).toBe(false);
    expect(app.notableOutput()).toContain('fatal: about to crash');
  });

  it('fails fast when an unsupervised app exits before it is ready', async () => {
    const app = track(new AppProcess(entry('crash'), { ready: { log_message: 'never logged' } }));
    app.start();
    await expect(app.waitReady({ timeout_ms: 10_000 })).rejects.toThrowError(
      /crash exited before it was ready:\nfatal: about to crash/,
    );
  });

  it('does not restart after kill(), and stop() falls back to SIGKILL after the grace period', async () => {
    const app = track(
      new AppProcess(entry('stubborn'), {
        ready: { log_message: 'stubborn started' },
        supervise: { restart_delay_ms: () => 10 },
        stop_grace_ms: 300,
      }),
    );
    app.start();
    await app.waitReady({ timeout_ms: 10_000, interval_ms: 10 });
    await app.kill();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.running).toBe(false);
    expect(app.unplanned_exits).toBe(0);
    app.start();
    await app.waitReady({ timeout_ms: 10_000, interval_ms: 10 });
    const started = Date.now();
    await app.stop();
    expect(app.running).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(app.unplanned_exits).toBe(0);
  });
});
