import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './processes';

/**
 * A Redis server of the test's own, on a spare port, so a test can stop and restart it without
 * disturbing anything else on the machine. Append-only persistence keeps queued jobs across restarts,
 * as a production Redis would.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private directory = '';
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.directory) this.directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-redis-'));
    if (!this.port) this.port = await freePort();
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.directory, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore' },
    );
    await waitUntil(() => this.ping(), { timeout_ms: 10_000, what: `redis-server on ${this.port}` });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }
}
