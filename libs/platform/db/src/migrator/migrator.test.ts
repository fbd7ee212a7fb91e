import { cp, mkdtemp, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmptyTestDatabase } from '../testing';
import { defaultMigrationsDirectory, migrate, MigrationError, readMigrations } from './migrator';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function emptyDatabase() {
  const database = await createEmptyTestDatabase();
  cleanups.push(database.drop);
  return database.url;
}

async function appliedMigrations(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  it('applies every migration once and records it the way Prisma does', async () => {
    const url = await emptyDatabase();
    const migrations = await readMigrations();
    const first = await migrate(url);
    expect(first.applied).toEqual(migrations.map((migration) => migration.name));

    const second = await migrate(url);
    expect(second.applied).toEqual([]);
    expect(second.already_applied).toEqual(first.applied);

    const rows = await appliedMigrations(url);
    expect(rows.map((row) => row.migration_name)).toEqual(first.applied);
    for (const row of rows) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('lets concurrent starters race safely: each migration runs exactly once', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const appliedCounts = results.map((result) => result.applied.length);
    expect(appliedCounts.filter((count) => count > 0)).toHaveLength(1);
    expect(await appliedMigrations(url)).toHaveLength((await readMigrations()).length);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const url = await emptyDatabase();
    const directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-migrations-'));
    await cp(defaultMigrationsDirectory(), directory, { recursive: true });
    await migrate(url, directory);

    const [first] = await readMigrations(directory);
    await appendFile(path.join(directory, first!.name, 'migration.sql'), '\n-- edited afterwards\n');
    await expect(migrate(url, directory)).rejects.toThrowError(MigrationError);
    await expect(migrate(url, directory)).rejects.toThrowError(/checksum/);
  });

  it('rolls back a failing migration and records nothing', async () => {
    const url = await emptyDatabase();
    const directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-migrations-'));
    await cp(defaultMigrationsDirectory(), directory, { recursive: true });
    const broken = path.join(directory, '99999999999999_broken');
    await cp(path.join(directory, (await readMigrations(directory))[0]!.name), broken, { recursive: true });
    await appendFile(path.join(broken, 'migration.sql'), '\nSELECT * FROM no_such_table;\n');

    await expect(migrate(url, directory)).rejects.toThrowError(/99999999999999_broken failed/);
    const names = (await appliedMigrations(url)).map((row) => row.migration_name);
    expect(names).not.toContain('99999999999999_broken');
  });
});
