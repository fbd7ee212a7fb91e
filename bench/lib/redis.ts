import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './processes';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface BenchRedis {
  url: string;
  description: string;
  stop(): Promise<void>;
}

/**
 * REDIS_URL when set; else the local Redis on 6379; else a `redis-server` of the benchmark's own on a
 * spare port (no persistence: its queues live only as long as the run). The benchmark's keys live
 * under their own prefix either way.
 */
export async function resolveRedis(explicitUrl: string | undefined): Promise<BenchRedis> {
  const url = explicitUrl ?? LOCAL_REDIS_URL;
  if (await answersPing(url)) return { url, description: url, stop: async () => undefined };
  if (explicitUrl) throw new Error(`Redis at REDIS_URL does not answer PING`);
  const port = await freePort();
  const directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', () => reject(new Error('no Redis on 127.0.0.1:6379 and no redis-server on PATH'))),
  );
  const own = `redis://127.0.0.1:${port}`;
  await Promise.race([
    waitUntil(() => answersPing(own), { timeout_ms: 10_000, what: `redis-server on ${port}` }),
    spawnFailed,
  ]);
  return {
    url: own,
    description: `redis-server of the benchmark on port ${port}`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function answersPing(url: string): Promise<boolean> {
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
