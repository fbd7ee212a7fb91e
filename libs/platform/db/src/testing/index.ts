/**
 * Test helpers for projects that need a real database: every test file gets its own database,
 * cloned from the run's migrated template, and its own Redis key prefix.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPrismaClient, type Database } from '../client';
import { withDatabase, type TestServices } from './environment';

export type { TestServices } from './environment';

export function testServices(): TestServices {
  return inject('ledgerlineTestServices');
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A Prisma client on this database, disconnected by `drop()`. */
  db: Database;
  /** A raw pg pool for assertions that look at rows as stored (ciphertext, triggers). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates a fresh, fully migrated database for one test file. Call `drop()` in `afterAll`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const services = testServices();
  const name = `ledgerline_${services.run_id}_${randomBytes(6).toString('hex')}`;
  await adminQuery(services, `CREATE DATABASE "${name}" TEMPLATE "${services.template_database}"`);
  const url = withDatabase(services.postgres_server_url, name);
  const db = createPrismaClient({ url, pool_size_max: 10, statement_timeout_ms: 30_000 });
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    name,
    url,
    db,
    pool,
    async drop() {
      await db.$disconnect();
      await pool.end();
      await adminQuery(services, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Creates an empty database (no migrations), for tests of the migrator itself. */
export async function createEmptyTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const services = testServices();
  const name = `ledgerline_${services.run_id}_${randomBytes(6).toString('hex')}`;
  await adminQuery(services, `CREATE DATABASE "${name}"`);
  return {
    url: withDatabase(services.postgres_server_url, name),
    drop: () => adminQuery(services, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined),
  };
}

/** A Redis key prefix unique to one test file, so queues never collide across parallel files. */
export function uniqueQueuePrefix(): string {
  return `${testServices().run_id}-${randomBytes(4).toString('hex')}`;
}

async function adminQuery(services: TestServices, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: services.postgres_server_url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
