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
export {
  indexesUsed,
  insertPlanTestAccounts,
  planOf,
  planNodes,
  sequentiallyScanned,
  type PlanNode,
} from './query-plans';

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
      // pg pools resolve `end()` once they have asked their connections to close, not once they have
      // closed. A FORCE drop would then terminate a closing connection, whose client reports the
      // termination as an unhandled 'error' (seen as a flaky failure on a loaded machine). So wait
      // for the connections to go first; FORCE remains for anything a test leaked.
      await withAdminClient(services, async (admin) => {
        await waitForNoConnections(admin, name);
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
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
    drop: () => adminQuery(services, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** A Redis key prefix unique to one test file, so queues never collide across parallel files. */
export function uniqueQueuePrefix(): string {
  return `${testServices().run_id}-${randomBytes(4).toString('hex')}`;
}

async function adminQuery(services: TestServices, sql: string): Promise<void> {
  await withAdminClient(services, async (client) => void (await client.query(sql)));
}

async function withAdminClient<T>(
  services: TestServices,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: services.postgres_server_url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const CONNECTIONS_GONE_TIMEOUT_MS = 2_000;

async function waitForNoConnections(admin: pg.Client, database: string): Promise<void> {
  const deadline = Date.now() + CONNECTIONS_GONE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { rows } = await admin.query<{ open: number }>(
      'SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1',
      [database],
    );
    if (rows[0]?.open === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
