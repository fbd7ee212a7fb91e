import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealAuditRecords } from '../sealer/seal';
import { verifyAuditChain } from './verify-chain';

let database: TestDatabase;

beforeEach(async () => {
  database = await createTestDatabase();
  for (let index = 1; index <= 12; index += 1) {
    await database.pool.query(
      `INSERT INTO audit_records (actor, role, action, resource, request_id, outcome) VALUES ($1, 'service', 'POST /v1/things', '/v1/things', $2, 201)`,
      [`client-${index}`, `request-${index}`],
    );
  }
  await sealAuditRecords(database.db);
});

afterEach(async () => {
  await database.drop();
});

async function ids(): Promise<string[]> {
  const { rows } = await database.pool.query<{ id: string }>(
    'SELECT id::text AS id FROM audit_records ORDER BY audit_records.id',
  );
  return rows.map((row) => row.id);
}

/** What an attacker with superuser access does: switch the append-only triggers off, edit, switch on. */
async function asAttacker(sql: string, parameters: unknown[]): Promise<void> {
  await database.pool.query('ALTER TABLE audit_records DISABLE TRIGGER USER');
  try {
    await database.pool.query(sql, parameters);
  } finally {
    await database.pool.query('ALTER TABLE audit_records ENABLE TRIGGER USER');
  }
}

describe('verifyAuditChain', () => {
  it('accepts an intact chain, across page boundaries', async () => {
    await expect(verifyAuditChain(database.db, { batch_size: 5 })).resolves.toEqual({
      ok: true,
      records_checked: 12,
      first_broken_id: null,
      records_unsealed: 0,
    });
    await expect(verifyAuditChain(database.db, { batch_size: 12 })).resolves.toEqual({
      ok: true,
      records_checked: 12,
      first_broken_id: null,
      records_unsealed: 0,
    });
  });

  it('counts records not sealed yet apart from the chain', async () => {
    await database.pool.query(
      `INSERT INTO audit_records (actor, role, action, resource, request_id, outcome) VALUES ('late', 'service', 'POST /v1/things', '/v1/things', 'late', 201)`,
    );
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: true,
      records_checked: 12,
      first_broken_id: null,
      records_unsealed: 1,
    });
    await sealAuditRecords(database.db);
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: true,
      records_checked: 13,
      first_broken_id: null,
      records_unsealed: 0,
    });
  });

  it('accepts an empty table', async () => {
    await asAttacker('DELETE FROM audit_records', []);
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: true,
      records_checked: 0,
      first_broken_id: null,
      records_unsealed: 0,
    });
  });

  it('finds an edited record', async () => {
    const target = (await ids())[4]!;
    await asAttacker(`UPDATE audit_records SET outcome = 200 WHERE id = $1`, [target]);
    await expect(verifyAuditChain(database.db, { batch_size: 3 })).resolves.toEqual({
      ok: false,
      records_checked: 5,
      first_broken_id: target,
      records_unsealed: 0,
    });
  });

  it('finds an edited record whose hash was recomputed, at the next link', async () => {
    const [, , target, next] = await ids();
    await asAttacker(
      `UPDATE audit_records SET actor = 'someone-else',
         hash = audit_record_hash(prev_hash, id, occurred_at, 'someone-else', role, action, resource, request_id, outcome)
       WHERE id = $1`,
      [target],
    );
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: false,
      records_checked: 4,
      first_broken_id: next,
      records_unsealed: 0,
    });
  });

  it('finds a deleted record', async () => {
    const all = await ids();
    await asAttacker(`DELETE FROM audit_records WHERE id = $1`, [all[6]]);
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: false,
      records_checked: 7,
      first_broken_id: all[7],
      records_unsealed: 0,
    });
  });

  it('finds a deleted first record', async () => {
    const all = await ids();
    await asAttacker(`DELETE FROM audit_records WHERE id = $1`, [all[0]]);
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: false,
      records_checked: 1,
      first_broken_id: all[1],
      records_unsealed: 0,
    });
  });
});

describe('tools/scripts/audit-verify.ts', () => {
  const script = fileURLToPath(new URL('../../../../../tools/scripts/audit-verify.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../../../../', import.meta.url));
  const run = (environment: Record<string, string>) =>
    // The script is an entry point configured by its environment: pass ours on, with the test database.
    promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      // eslint-disable-next-line no-restricted-properties
      env: { ...process.env, ...environment },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  it('prints one line and exits 0 for an intact chain, 1 for a broken one', async () => {
    const intact = await run({ DATABASE_URL: database.url });
    expect(intact).toEqual({ code: 0, stdout: 'audit chain: ok, 12 records checked\n' });
    const target = (await ids())[2]!;
    await asAttacker(`UPDATE audit_records SET resource = '/elsewhere' WHERE id = $1`, [target]);
    const broken = await run({ DATABASE_URL: database.url });
    expect(broken).toEqual({
      code: 1,
      stdout: `audit chain: BROKEN at record ${target} (3 records checked)\n`,
    });
  }, 90_000);

  it('exits 2 when it cannot check', async () => {
    const result = await run({ DATABASE_URL: 'not-a-url' });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^audit chain: not checked: Invalid configuration: DATABASE_URL/);
  }, 60_000);
});
