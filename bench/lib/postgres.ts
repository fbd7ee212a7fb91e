import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '@ledgerline/db';

export const LOCAL_POSTGRES_URL = 'postgresql://root@127.0.0.1:5432/postgres';

/** A database the benchmark creates on the server and drops when it is done. */
export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** The server the benchmark uses: DATABASE_URL's server when set, else the local one. */
export function serverUrlFrom(explicitUrl: string | undefined): string {
  return withDatabase(explicitUrl ?? LOCAL_POSTGRES_URL, 'postgres');
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function createDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new TypeError(`refusing database name ${JSON.stringify(name)}`);
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** Creates and migrates the database the platform and the ledger scenarios share. */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  const database = await createDatabase(serverUrl, name);
  try {
    await migrate(database.url);
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  return database;
}

export function serverVersion(serverUrl: string): Promise<string> {
  return showSetting(serverUrl, 'server_version');
}

/** `on` or `off`: whether the server vacuums and analyzes by itself (see startAutovacuumStandIn in @ledgerline/processes). */
export function serverAutovacuum(serverUrl: string): Promise<string> {
  return showSetting(serverUrl, 'autovacuum');
}

async function showSetting(serverUrl: string, setting: 'server_version' | 'autovacuum'): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(`SHOW ${setting}`);
    return rows[0]?.[setting] ?? 'unknown';
  } finally {
    await client.end();
  }
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
