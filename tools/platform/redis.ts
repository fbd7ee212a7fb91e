import path from 'node:path';
import { PrivateRedis, RedisServerMissingError, redisAnswersPing } from '@ledgerline/processes';

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
    if (!(await redisAnswersPing(explicitUrl)))
      throw new MissingDependencyError(`Redis at REDIS_URL does not answer PING`);
    return { url: explicitUrl, description: explicitUrl, stop: async () => undefined };
  }
  if (await redisAnswersPing(local_url))
    return { url: local_url, description: `${local_url} (local server)`, stop: async () => undefined };
  const directory = path.join(dataDirectory, 'redis');
  const redis = new PrivateRedis({ port: own_port, directory, append_only: true, save: '60 1000' });
  try {
    await redis.start();
  } catch (error) {
    await redis.kill();
    throw new MissingDependencyError(
      error instanceof RedisServerMissingError
        ? 'No Redis found: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (apt-get install redis-server)'
        : `redis-server did not start on port ${own_port}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return {
    url: redis.url,
    description: `redis-server on port ${own_port} (data in ${directory})`,
    stop: () => redis.stop(),
  };
}
