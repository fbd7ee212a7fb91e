import { once } from 'node:events';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { testServices } from '@ledgerline/db/testing';
import { freePort } from '@ledgerline/processes';
import { createProducerConnection } from './connection';
import { isTransientRedisError } from './redis-errors';

const logger = pino({ level: 'silent' });
const { redis_url } = testServices();

/** The error a command's promise rejects with, or a failure when it succeeds. */
async function errorOf(command: Promise<unknown>): Promise<unknown> {
  return command.then(
    () => expect.unreachable('the command succeeded'),
    (error: unknown) => error,
  );
}

describe('isTransientRedisError', () => {
  const connections: Array<{ disconnect(): void }> = [];
  afterAll(() => connections.forEach((connection) => connection.disconnect()));

  it('is true for a command refused because nothing listens where Redis should be', async () => {
    const port = await freePort();
    const unreachable = createProducerConnection({
      url: `redis://127.0.0.1:${port}`,
      connection_name: 'redis-errors-test-unreachable',
      logger,
    });
    connections.push(unreachable);
    expect(isTransientRedisError(await errorOf(unreachable.get('key')))).toBe(true);
  });

  it('is true for a command issued after the connection was closed', async () => {
    const redis = createProducerConnection({
      url: redis_url,
      connection_name: 'redis-errors-test-closed',
      logger,
    });
    connections.push(redis);
    await once(redis, 'ready');
    redis.disconnect();
    expect(isTransientRedisError(await errorOf(redis.get('key')))).toBe(true);
  });

  it('is false for a reply Redis gives a wrong command: retrying would not help', async () => {
    const redis = createProducerConnection({
      url: redis_url,
      connection_name: 'redis-errors-test-wrong',
      logger,
    });
    connections.push(redis);
    await once(redis, 'ready');
    const key = `redis-errors-test:${process.pid}:${Date.now()}`;
    await redis.set(key, 'text', 'EX', 60);
    const error = await errorOf(redis.lpush(key, 'x'));
    await redis.del(key);
    expect(String(error)).toMatch(/WRONGTYPE/);
    expect(isTransientRedisError(error)).toBe(false);
  });

  it('is false for errors that are not Redis errors at all', () => {
    expect(isTransientRedisError(new TypeError('undefined is not a function'))).toBe(false);
    expect(isTransientRedisError('Connection is closed.')).toBe(false);
    expect(isTransientRedisError(null)).toBe(false);
  });
});
