import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../verify/verify-chain';
import { sealAuditRecords, startAuditSealer } from './seal';

let database: TestDatabase;

beforeEach(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await database.drop();
});

async function insertRecords(count: number, prefix: string): Promise<void> {
  await database.pool.query(
    `INSERT INTO audit_records (actor, role, action, resource, request_id, outcome)
     SELECT 'bank', 'service', 'POST /v1/things', '/v1/things', $1 || n, 201 FROM generate_series(1, $2::integer) AS n`,
    [prefix, count],
  );
}

const silent = { info: () => undefined, error: () => undefined };

describe('sealAuditRecords', () => {
  it('chains committed records in batches and reports how many it sealed', async () => {
    await insertRecords(25, 'r');
    expect(await sealAuditRecords(database.db, 10)).toBe(10);
    expect(await sealAuditRecords(database.db, 10)).toBe(10);
    expect(await sealAuditRecords(database.db, 10)).toBe(5);
    expect(await sealAuditRecords(database.db, 10)).toBe(0);
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: true,
      records_checked: 25,
      first_broken_id: null,
      records_unsealed: 0,
    });
  });

  it('leaves a record whose transaction is still open for a later round, and the chain stays whole', async () => {
    const open = await database.pool.connect();
    try {
      await open.query('BEGIN');
      // Takes the smaller id, but commits after the records inserted next.
      await open.query(
        `INSERT INTO audit_records (actor, role, action, resource, request_id, outcome) VALUES ('slow', 'service', 'POST /v1/things', '/v1/things', 'slow', 202)`,
      );
      await insertRecords(3, 'fast');
      expect(await sealAuditRecords(database.db)).toBe(3);
      await open.query('COMMIT');
    } finally {
      open.release();
    }
    expect(await sealAuditRecords(database.db)).toBe(1);
    const { rows } = await database.pool.query<{ request_id: string }>(
      'SELECT request_id FROM audit_records ORDER BY chain_position',
    );
    expect(rows.map((row) => row.request_id)).toEqual(['fast1', 'fast2', 'fast3', 'slow']);
    await expect(verifyAuditChain(database.db)).resolves.toEqual({
      ok: true,
      records_checked: 4,
      first_broken_id: null,
      records_unsealed: 0,
    });
  });

  it('lets nobody insert a ready-made link or change a sealed record', async () => {
    await database.pool.query(
      `INSERT INTO audit_records (actor, role, action, resource, request_id, outcome, chain_position, prev_hash, hash)
       VALUES ('forger', 'service', 'POST /v1/things', '/v1/things', 'forged', 201, 1, repeat('0', 64), repeat('a', 64))`,
    );
    const { rows } = await database.pool.query('SELECT chain_position, hash FROM audit_records');
    expect(rows).toEqual([{ chain_position: null, hash: null }]);
    // Sealing may set the chain fields only: the same UPDATE touching the content is refused.
    await expect(
      database.pool.query(
        `UPDATE audit_records SET chain_position = 1, prev_hash = repeat('0', 64), hash = repeat('a', 64), outcome = 500`,
      ),
    ).rejects.toThrowError(/append-only/);
    await sealAuditRecords(database.db);
    await expect(database.pool.query(`UPDATE audit_records SET hash = repeat('b', 64)`)).rejects.toThrowError(
      /append-only/,
    );
  });
});

describe('startAuditSealer', () => {
  it('seals new records within its interval until stopped', async () => {
    const sealer = startAuditSealer({ db: database.db, interval_ms: 20, logger: silent });
    try {
      await insertRecords(5, 'live');
      await expect
        .poll(async () => (await verifyAuditChain(database.db)).records_checked, {
          timeout: 5_000,
          interval: 20,
        })
        .toBe(5);
    } finally {
      await sealer.stop();
    }
    await insertRecords(1, 'after-stop');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(verifyAuditChain(database.db)).resolves.toMatchObject({
      ok: true,
      records_checked: 5,
      records_unsealed: 1,
    });
  });
});
