import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PrivateRedis, redisAnswersPing } from './index';

async function withClient<T>(url: string, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

describe('PrivateRedis', () => {
  it('keeps acknowledged writes across a crash with append-only on, on the same port', async () => {
    const redis = new PrivateRedis();
    try {
      await redis.start();
      const port = redis.port;
      await withClient(redis.url, async (client) => {
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        await client.set('kept', 'yes');
      });
      await redis.restart({ crash: true });
      expect(redis.port).toBe(port);
      expect(await withClient(redis.url, (client) => client.get('kept'))).toBe('yes');
      await redis.stop();
      expect(await redisAnswersPing(redis.url)).toBe(false);
      await redis.start();
      expect(await withClient(redis.url, (client) => client.get('kept'))).toBe('yes');
    } finally {
      await redis.destroy();
    }
    expect(existsSync(redis.dataDirectory)).toBe(false);
    await expect(redis.start()).rejects.toThrowError(/destroyed/);
  });

  it('runs without persistence when asked', async () => {
    const redis = new PrivateRedis({ append_only: false });
    try {
      await redis.start();
      expect(await withClient(redis.url, (client) => client.config('GET', 'appendonly'))).toEqual([
        'appendonly',
        'no',
      ]);
    } finally {
      await redis.destroy();
    }
  });
});
