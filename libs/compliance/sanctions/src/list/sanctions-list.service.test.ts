import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { SDN_FIXTURE_CSV, SDN_FIXTURE_ROWS, sdnCsv } from '../testing';
import {
  createSanctionsListService,
  latestListVersion,
  type SanctionsListService,
} from './sanctions-list.service';

let database: TestDatabase;
let lists: SanctionsListService;

beforeAll(async () => {
  database = await createTestDatabase();
  lists = createSanctionsListService({ db: database.db });
});
afterAll(() => database.drop());

async function count(table: 'sanctions_lists' | 'sanctions_entries' | 'outbox_messages'): Promise<number> {
  const { rows } = await database.pool.query(`SELECT count(*)::integer AS n FROM ${table}`);
  return rows[0].n;
}

async function load(csv: string, request_id = 'req-load') {
  const result = await lists.load({ csv, loaded_by: 'compliance-officer-1', request_id });
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.value;
}

/** A list of `size` made-up entities, distinct per `tag`. */
function listOf(tag: string, size: number): string {
  return sdnCsv(
    Array.from({ length: size }, (_, index) => ({ ent_num: index + 1, name: `${tag} TRADING ${index + 1}` })),
  );
}

// The tests build on each other: versions count up through the file.
describe('load', () => {
  it('refuses a bad file and writes nothing', async () => {
    expect(await latestListVersion(database.db)).toBeNull();
    const result = await lists.load({
      csv: '1,"ONLY TWO COLUMNS"\n',
      loaded_by: 'officer',
      request_id: 'req-bad',
    });
    expect(result).toEqual({
      ok: false,
      error: 'invalid_list',
      errors: [{ line: 1, message: 'expected 12 columns, found 2' }],
    });
    expect(await lists.load({ csv: '', loaded_by: 'officer', request_id: 'req-empty' })).toMatchObject({
      ok: false,
    });
    expect([
      await count('sanctions_lists'),
      await count('sanctions_entries'),
      await count('outbox_messages'),
    ]).toEqual([0, 0, 0]);
  });

  it('stores the first list as version 1 with its entries, and queues the rescreening with it', async () => {
    expect(await load(SDN_FIXTURE_CSV, 'req-first')).toEqual({
      list_version: 1,
      entries_loaded: SDN_FIXTURE_ROWS.length,
      created: true,
    });
    expect(await latestListVersion(database.db)).toBe(1);
    const { rows: listRows } = await database.pool.query(
      `SELECT version::integer, content_sha256, entries_loaded, loaded_by FROM sanctions_lists`,
    );
    expect(listRows).toEqual([
      {
        version: 1,
        content_sha256: createHash('sha256').update(SDN_FIXTURE_CSV, 'utf8').digest('hex'),
        entries_loaded: SDN_FIXTURE_ROWS.length,
        loaded_by: 'compliance-officer-1',
      },
    ]);
    const { rows: entries } = await database.pool.query(
      `SELECT ent_num, name, sdn_type, program, normalized_name, aliases, countries, dates_of_birth
       FROM sanctions_entries WHERE list_version = 1 ORDER BY ent_num`,
    );
    expect(entries).toHaveLength(SDN_FIXTURE_ROWS.length);
    expect(entries[0]).toEqual({
      ent_num: 10001,
      name: 'KARIMOV, Rustam Aliyevich',
      sdn_type: 'individual',
      program: 'SDGT',
      normalized_name: 'rustam aliyevich karimov',
      aliases: ['KARIMI, Rostam', 'ABU RUSTAM'],
      countries: ['UZ'],
      dates_of_birth: ['1951-06-10'],
    });
    expect(entries.find((entry) => entry.ent_num === 10005)).toMatchObject({
      dates_of_birth: ['1950-01-01/1955-12-31'],
      countries: ['SY'],
    });
    const { rows: outbox } = await database.pool.query(
      `SELECT queue, job_name, job_id, payload, request_id FROM outbox_messages`,
    );
    expect(outbox).toEqual([
      {
        queue: 'sanctions',
        job_name: 'rescreen-customers',
        job_id: 'rescreen-customers-v1',
        payload: { list_version: 1, request_id: 'req-first' },
        request_id: 'req-first',
      },
    ]);
  });

  it('answers the current version for the current content again, loading and queueing nothing', async () => {
    expect(await load(SDN_FIXTURE_CSV, 'req-again')).toEqual({
      list_version: 1,
      entries_loaded: SDN_FIXTURE_ROWS.length,
      created: false,
    });
    expect([await count('sanctions_lists'), await count('outbox_messages')]).toEqual([1, 1]);
  });

  it('stores a changed list as the next version, and an earlier content again as a new one', async () => {
    expect(await load(listOf('ALPHA', 3))).toMatchObject({
      list_version: 2,
      entries_loaded: 3,
      created: true,
    });
    // Back to the first list: it is not the current one, so it is a new version.
    expect(await load(SDN_FIXTURE_CSV)).toMatchObject({ list_version: 3, created: true });
    const { rows } = await database.pool.query(`SELECT job_id FROM outbox_messages ORDER BY id`);
    expect(rows.map((row) => row.job_id)).toEqual([
      'rescreen-customers-v1',
      'rescreen-customers-v2',
      'rescreen-customers-v3',
    ]);
  });

  it('stores a large list in several statements of one transaction', async () => {
    const value = await load(listOf('BULK', 2_500));
    expect(value).toEqual({ list_version: 4, entries_loaded: 2_500, created: true });
    const { rows } = await database.pool.query(
      `SELECT count(*)::integer AS n, max(ent_num) AS last FROM sanctions_entries WHERE list_version = 4`,
    );
    expect(rows[0]).toEqual({ n: 2_500, last: 2_500 });
  });

  it('writes neither the list nor its job when storing an entry fails', async () => {
    const before = [
      await count('sanctions_lists'),
      await count('sanctions_entries'),
      await count('outbox_messages'),
    ];
    // A fault in the middle of the load: the 1,500th entry (in the second insert statement) is refused.
    await database.pool.query(`
      CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated fault'; END $$;
      CREATE TRIGGER refuse_entry BEFORE INSERT ON sanctions_entries
        FOR EACH ROW WHEN (NEW.ent_num = 1500) EXECUTE FUNCTION refuse_entry();`);
    try {
      await expect(
        lists.load({ csv: listOf('FAULTY', 2_000), loaded_by: 'officer', request_id: 'req-fault' }),
      ).rejects.toThrow(/simulated fault/);
    } finally {
      await database.pool.query(
        `DROP TRIGGER refuse_entry ON sanctions_entries; DROP FUNCTION refuse_entry();`,
      );
    }
    expect([
      await count('sanctions_lists'),
      await count('sanctions_entries'),
      await count('outbox_messages'),
    ]).toEqual(before);
    expect(await latestListVersion(database.db)).toBe(4);
  });

  it('gives concurrent loads consecutive versions', async () => {
    const results = await Promise.all(['C1', 'C2', 'C3'].map((tag) => load(listOf(tag, 5))));
    expect(results.map((result) => result.list_version).sort()).toEqual([5, 6, 7]);
    expect(await latestListVersion(database.db)).toBe(7);
  });

  it('keeps loaded lists and entries as they were loaded', async () => {
    await expect(
      database.pool.query(`UPDATE sanctions_entries SET name = 'X' WHERE list_version = 1`),
    ).rejects.toThrow(/append-only/);
    await expect(database.pool.query(`DELETE FROM sanctions_lists WHERE version = 7`)).rejects.toThrow(
      /append-only/,
    );
    await expect(
      database.pool.query(
        `INSERT INTO sanctions_entries (list_version, ent_num, name, sdn_type, normalized_name, countries) VALUES (1, 99, 'X', 'entity', 'x', '{usa}')`,
      ),
    ).rejects.toThrow(/sanctions_entries_countries_format|too long/);
    await expect(
      database.pool.query(
        `INSERT INTO sanctions_entries (list_version, ent_num, name, sdn_type, normalized_name, dates_of_birth) VALUES (1, 99, 'X', 'entity', 'x', '{10 Jun 1951}')`,
      ),
    ).rejects.toThrow(/sanctions_entries_dates_of_birth_format/);
    await expect(
      database.pool.query(
        `INSERT INTO sanctions_entries (list_version, ent_num, name, sdn_type, normalized_name, aliases) VALUES (1, 99, 'X', 'entity', 'x', '{{a},{b}}')`,
      ),
    ).rejects.toThrow(/sanctions_entries_arrays_one_dimensional|multidimensional/);
    await expect(
      database.pool.query(
        `INSERT INTO sanctions_entries (list_version, ent_num, name, sdn_type, normalized_name) VALUES (1, 99, 'X', 'ship', 'x')`,
      ),
    ).rejects.toThrow(/sanctions_entries_sdn_type_known/);
  });
});
