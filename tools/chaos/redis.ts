import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Redis } from 'ioredis';
import type { ChildRegistry } from './guardian';
import { freePort, waitUntil } from './support';

const START_TIMEOUT_MS = 15_000;

/**
 * A redis-server of the chaos run's own on a spare port. Like PrivateRedis of the e2e harness, but it
 * can also crash the server (SIGKILL) and logs to a file. Append-only persistence with the default
 * `everysec` fsync: Redis writes the AOF before it answers, so a killed process (not a lost machine)
 * loses no acknowledged job, as in production.
 */
export class ChaosRedis {
  port = 0;
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  /** Set by destroy(): a fault's restart racing the clean-up must not leave a server behind. */
  private destroyed = false;

  constructor(
    private readonly directory: string,
    private readonly logFile: string,
    private readonly registry: ChildRegistry,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error('redis-server: not started, the run is cleaning up');
    await mkdir(this.directory, { recursive: true });
    if (!this.port) this.port = await freePort();
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.directory, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
      // Its own process group: a Ctrl-C in the terminal reaches only the runner, which stops everything in order.
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.child = child;
    this.registry.started(child.pid, 'redis-server');
    child.once('exit', () => this.registry.exited(child.pid));
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`redis-server: ${error.message}`))));
    await Promise.race([waitUntil(() => this.ping(), { timeout_ms: START_TIMEOUT_MS, interval_ms: 50, what: `redis-server on ${this.port}` }), spawnFailed]);
  }

  /** A crash: the server gets no chance to do anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.kill();
    // Output still buffered from the killed server must not be written to the closed log.
    this.child?.stdout?.unpipe();
    this.child?.stderr?.unpipe();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }
}
