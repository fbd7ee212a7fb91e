import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from './client';
import { createTestDatabase, type TestDatabase } from './testing';
import {
  isRetryableTransactionError,
  isTransientDatabaseError,
  sqlStateOf,
  withTransactionRetry,
} from './transaction-retry';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('transaction retry and error classification', () => {
  it('finds the SQLSTATE of a real Postgres error raised through Prisma', async () => {
    const error = await database.db.$executeRawUnsafe(`SELECT 1/0`).catch((caught: unknown) => caught);
    expect(sqlStateOf(error)).toBe('22012');
    expect(isRetryableTransactionError(error)).toBe(false);
    expect(isTransientDatabaseError(error)).toBe(false);
  });

  it('re-runs a transaction that hit a serialization failure until it commits', async () => {
    let attempts = 0;
    const result = await withTransactionRetry(async () => {
      attempts += 1;
      if (attempts < 3) {
        await database.db.$executeRawUnsafe(
          `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`,
        );
      }
      return 'committed';
    });
    expect(result).toBe('committed');
    expect(attempts).toBe(3);
  });

  it('classifies an unreachable server as transient, for raw queries and model queries alike', async () => {
    const server = net.createServer();
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((closed) => server.close(() => closed()));
    const unreachable = createPrismaClient({
      url: `postgresql://root@127.0.0.1:${port}/postgres`,
      pool_size_max: 1,
      statement_timeout_ms: 1_000,
    });
    try {
      const raw = await unreachable.$queryRaw`SELECT 1`.catch((caught: unknown) => caught);
      const model = await unreachable.apiClient
        .findFirst({ where: { clientId: 'x' } })
        .catch((caught: unknown) => caught);
      expect(raw).toBeInstanceOf(Error);
      expect(isTransientDatabaseError(raw)).toBe(true);
      expect(isTransientDatabaseError(model)).toBe(true);
    } finally {
      await unreachable.$disconnect();
    }
  });

  it('classifies an exhausted connection pool as transient, so clients get 503 and retry', async () => {
    const tiny = createPrismaClient({ url: database.url, pool_size_max: 1, statement_timeout_ms: 10_000 });
    try {
      const holder = tiny.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('SELECT pg_sleep(1)');
      });
      const starved = await tiny
        .$transaction(async (tx) => tx.$executeRawUnsafe('SELECT 1'), { maxWait: 100 })
        .catch((caught: unknown) => caught);
      await holder;
      expect(isTransientDatabaseError(starved)).toBe(true);
    } finally {
      await tiny.$disconnect();
    }
  });
});
