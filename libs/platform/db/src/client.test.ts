import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, preparedStatementNamer, type Database } from './client';
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
    const [row] = await db.$transaction(
      (tx) =>
        tx.$queryRaw<Array<{ level: string }>>`SELECT current_setting('transaction_isolation') AS level`,
    );
    expect(row?.level).toBe('read committed');
  });

  it('never JIT-compiles a statement, even one estimated far above jit_above_cost', async () => {
    await database.pool.query(
      `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = on', current_database()); END $$`,
    );
    const fresh = createPrismaClient({ url: database.url, pool_size_max: 1, statement_timeout_ms: 5_000 });
    try {
      const [setting] = await fresh.$queryRaw<Array<{ jit: string }>>`SELECT current_setting('jit') AS jit`;
      expect(setting?.jit).toBe('off');
      // A cross join the planner prices in the billions: with JIT on it would be compiled before running.
      const [plan] = await fresh.$queryRaw<Array<{ 'QUERY PLAN': Array<Record<string, unknown>> }>>`
        EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b WHERE a = b AND a < 2`;
      expect(plan?.['QUERY PLAN'][0]).not.toHaveProperty('JIT');
    } finally {
      await fresh.$disconnect();
    }
  });

  it('prepares each statement once per connection and runs it again by name', async () => {
    const single = createPrismaClient({ url: database.url, pool_size_max: 1, statement_timeout_ms: 5_000 });
    try {
      for (const n of [1, 2, 3]) await single.$queryRaw`SELECT ${n}::int AS n, 'prepared-probe' AS probe`;
      const prepared = await single.$queryRaw<Array<{ name: string; statement: string }>>`
        SELECT name, statement FROM pg_prepared_statements`;
      const probes = prepared.filter(
        (row) =>
          row.statement.includes('prepared-probe') && !row.statement.includes('pg_prepared_statements'),
      );
      expect(probes).toHaveLength(1);
      expect(probes[0]?.name).toMatch(/^ll_\d+$/);
    } finally {
      await single.$disconnect();
    }
  });

  it('plans a prepared statement afresh on each call by default, and never with plans: generic', async () => {
    const planCounts = async (plans: 'auto' | 'generic') => {
      const client = createPrismaClient({
        url: database.url,
        pool_size_max: 1,
        statement_timeout_ms: 5_000,
        plans,
      });
      try {
        // Small arrays, as the pipeline's batches are: Postgres prices the generic plan for ten elements.
        for (const n of [1, 2, 3])
          await client.$queryRaw`SELECT count(*) FROM customers WHERE id = ANY(${[`00000000-0000-7000-8000-00000000000${n}`]}::uuid[])`;
        const [row] = await client.$queryRaw<Array<{ generic_plans: bigint; custom_plans: bigint }>>`
          SELECT generic_plans, custom_plans FROM pg_prepared_statements
          WHERE statement LIKE 'SELECT count(*) FROM customers WHERE id = ANY%'`;
        return { generic: Number(row?.generic_plans), custom: Number(row?.custom_plans) };
      } finally {
        await client.$disconnect();
      }
    };
    expect(await planCounts('auto')).toEqual({ generic: 0, custom: 3 });
    expect(await planCounts('generic')).toEqual({ generic: 3, custom: 0 });
  });

  it('reports a failed query without quoting the calling source', async () => {
    const failure = await db.customer
      .create({ data: { id: 'not-a-uuid' } as never })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    // Any other error format captures a call site on every query to quote it here ("Invalid
    // `db.customer.create()` invocation in <file>:<line>" and the lines around it): an Error per query.
    expect((failure as Error).message).toContain('Invalid `prisma.customer.create()` invocation');
    expect((failure as Error).message).not.toContain('client.test.ts');
  });
});

describe('preparedStatementNamer', () => {
  it('gives one SQL text one name, different texts different names, and none beyond its bound', () => {
    const name = preparedStatementNamer(2);
    const first = name({ sql: 'SELECT 1' });
    expect(name({ sql: 'SELECT 1' })).toBe(first);
    const second = name({ sql: 'SELECT 2' });
    expect(second).not.toBe(first);
    expect(name({ sql: 'SELECT 3' })).toBeUndefined();
    expect(name({ sql: 'SELECT 1' })).toBe(first);
  });
});
