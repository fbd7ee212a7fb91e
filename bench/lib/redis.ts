import { PrivateRedis, RedisServerMissingError, redisAnswersPing } from '@ledgerline/processes';

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
  if (await redisAnswersPing(url)) return { url, description: url, stop: async () => undefined };
  if (explicitUrl) throw new Error(`Redis at REDIS_URL does not answer PING`);
  const redis = new PrivateRedis({ append_only: false });
  try {
    await redis.start();
  } catch (error) {
    await redis.destroy();
    throw error instanceof RedisServerMissingError
      ? new Error('no Redis on 127.0.0.1:6379 and no redis-server on PATH')
      : error;
  }
  return {
    url: redis.url,
    description: `redis-server of the benchmark on port ${redis.port}`,
    stop: () => redis.destroy(),
  };
}
