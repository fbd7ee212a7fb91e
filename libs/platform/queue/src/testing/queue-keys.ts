import { Redis } from 'ioredis';

/** Deletes every Redis key under a BullMQ prefix (`<prefix>:*`). */
export async function deleteQueueKeys(redis_url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new TypeError(`refusing to delete keys of prefix ${JSON.stringify(prefix)}`);
  const redis = new Redis(redis_url, { maxRetriesPerRequest: 3 });
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit();
  }
}
