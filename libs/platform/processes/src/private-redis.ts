import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { freePort } from './free-port';
import { OutputTail } from './output-tail';
import { waitUntil } from './wait-until';

/** `redis-server` is not on PATH. */
export class RedisServerMissingError extends Error {
  override readonly name = 'RedisServerMissingError';
}

export interface PrivateRedisOptions {
  /** Default: a spare port, chosen at the first start and kept across restarts. */
  port?: number;
  /** Default: a fresh temporary folder, removed by destroy(). A given folder is created and kept. */
  directory?: string;
  /** Append-only persistence (fsync every second), so that queued jobs survive a restart. Default on. */
  append_only?: boolean;
  /** RDB snapshots (`--save`, e.g. `60 1000`); default none. */
  save?: string;
  /** The server's own output goes here (appended). */
  log_file?: string;
  /** Its own process group: a Ctrl-C in the terminal then reaches only the parent. */
  detached?: boolean;
  /** Called when a server process starts or exits (e.g. to record pids that must not outlive the caller). */
  on_event?(event: { kind: 'started' | 'exited'; pid: number | undefined }): void;
  start_timeout_ms?: number;
}

/**
 * A redis-server of the caller's own, so that it can be stopped, crashed and restarted on the same port
 * and data without disturbing anything else on the machine.
 */
export class PrivateRedis {
  port: number;
  private directory: string;
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private readonly tail = new OutputTail(50);
  private own_directory = false;
  /** Set by destroy(): a restart racing the clean-up must not leave a server behind. */
  private destroyed = false;

  constructor(private readonly options: PrivateRedisOptions = {}) {
    this.port = options.port ?? 0;
    this.directory = options.directory ?? '';
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get dataDirectory(): string {
    return this.directory;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (on the same port and data as before, after stop() or kill()) and waits for PING. */
  async start(): Promise<void> {
    if (this.destroyed) throw new Error('redis-server: not started, it was destroyed');
    if (this.running) return;
    if (this.directory) await mkdir(this.directory, { recursive: true });
    else {
      this.directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-redis-'));
      this.own_directory = true;
    }
    if (!this.port) this.port = await freePort();
    if (this.options.log_file) this.log ??= createWriteStream(this.options.log_file, { flags: 'a' });
    const append_only = this.options.append_only ?? true;
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.directory],
        ...(append_only ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']),
        ...['--save', this.options.save ?? ''],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: this.options.detached ?? false },
    );
    this.child = child;
    this.options.on_event?.({ kind: 'started', pid: child.pid });
    child.once('exit', () => this.options.on_event?.({ kind: 'exited', pid: child.pid }));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.tail.push(line);
        if (this.log && !this.log.writableEnded) this.log.write(`${line}\n`);
      });
    }
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new RedisServerMissingError('redis-server is not on PATH')
            : new Error(`redis-server: ${error.message}`),
        ),
      );
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `redis-server on port ${this.port} exited (${signal ?? `code ${code}`}):\n${this.tail.lines.slice(-5).join('\n')}`,
          ),
        ),
      );
    });
    failed.catch(() => undefined);
    await Promise.race([
      waitUntil(() => redisAnswersPing(this.url), {
        timeout_ms: this.options.start_timeout_ms ?? 15_000,
        what: `redis-server on ${this.port}`,
      }),
      failed,
    ]);
  }

  /** SIGTERM and wait: Redis writes its data out and exits, as on an orderly shutdown. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: a crash, the server gets no chance to do anything. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart({ crash = false }: { crash?: boolean } = {}): Promise<void> {
    await (crash ? this.kill() : this.stop());
    await this.start();
  }

  /** Kills the server for good, closes its log and removes its data folder if it made one. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.kill();
    await new Promise<void>((resolve) =>
      this.log && !this.log.writableEnded ? this.log.end(resolve) : resolve(),
    );
    if (this.own_directory) await rm(this.directory, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

/** Whether a Redis at `url` answers PING within about a second. */
export async function redisAnswersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
