import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Database } from './client';
import { createTestDatabase, type TestDatabase } from './testing';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  // A server configured for another default must not change what our transactions run under.
  await database.pool.query(
    `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', current_database(), 'serializable'); END $$`,
  );
  db = createPrismaClient({ url: database.url, pool_size_max: 2, statement_timeout_ms: 5_000 });
});

afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

describe('createPrismaClient', () => {
  it('runs transactions READ COMMITTED even where the database defaults to SERIALIZABLE', async () => {
    const [row] = await db.$transaction((tx) => tx.$queryRaw<Array<{ level: string }>>`SELECT current_setting('transaction_isolation') AS level`);
    expect(row?.level).toBe('read committed');
  });
});
