import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface RedisHandle {
  url: string;
  description: string;
  stop(): Promise<void>;
}

export class MissingDependencyError extends Error {
  override readonly name = 'MissingDependencyError';
}

/**
 * Finds a Redis: REDIS_URL when set; else one on 127.0.0.1:6379; else starts `redis-server` from
 * PATH with append-only persistence in `.data/redis` (queues must survive a restart).
 */
export async function resolveRedis(
  explicitUrl: string | undefined,
  dataDirectory: string,
  { local_url = 'redis://127.0.0.1:6379', own_port = 6389 }: { local_url?: string; own_port?: number } = {},
): Promise<RedisHandle> {
  if (explicitUrl) {
    if (!(await answersPing(explicitUrl))) throw new MissingDependencyError(`Redis at REDIS_URL does not answer PING`);
    return { url: explicitUrl, description: explicitUrl, stop: async () => undefined };
  }
  if (await answersPing(local_url)) return { url: local_url, description: `${local_url} (local server)`, stop: async () => undefined };
  return startRedisServer(path.join(dataDirectory, 'redis'), own_port);
}

async function startRedisServer(directory: string, port: number): Promise<RedisHandle> {
  await mkdir(directory, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--appendonly', 'yes', '--save', '60 1000'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', () =>
      reject(
        new MissingDependencyError(
          'No Redis found: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (apt-get install redis-server)',
        ),
      ),
    );
  });
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      if (await answersPing(url)) return;
      await sleep(100);
    }
    throw new MissingDependencyError(`redis-server did not answer on port ${port}`);
  })();
  await Promise.race([ready, failed]);
  return {
    url,
    description: `redis-server on port ${port} (data in ${directory})`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1_000, retryStrategy: () => null });
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
