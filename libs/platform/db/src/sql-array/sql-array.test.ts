import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../client';
import { createTestDatabase, type TestDatabase } from '../testing';
import { sqlArray } from './sql-array';

describe('sqlArray', () => {
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
  });

  afterAll(async () => {
    await database.drop();
  });

  it('hands Postgres every text exactly, quotes, backslashes, braces, NULL look-alikes and unicode included', async () => {
    const texts = [
      'a"b',
      'back\\slash',
      'NULL',
      '',
      ' spaced ',
      '{brace}',
      'comma,here',
      'ünïcødé ☃',
      null,
      "it's",
      '\\"',
    ];
    const rows = await db.$queryRaw<Array<{ value: string | null }>>`
      SELECT value FROM unnest(${sqlArray(texts)}::text[]) WITH ORDINALITY AS u(value, position) ORDER BY position`;
    expect(rows.map((row) => row.value)).toEqual(texts);
  });

  it('keeps uuids, exact amounts, instants and big integers as the typed arrays they are cast to', async () => {
    const [row] = await db.$queryRaw<Array<{ ids: string; total: string; latest: Date; sequences: string }>>`
      SELECT array_to_string(${sqlArray(['01a238a7-0bee-7541-bb2b-e29f563eed59', null])}::uuid[], ',', '-') AS ids,
             (SELECT sum(x) FROM unnest(${sqlArray(['0.0001', '999999999999999999.9999'])}::numeric[]) x)::text AS total,
             (SELECT max(x) FROM unnest(${sqlArray(['2026-12-02T21:00:00.000Z', '2026-12-02T21:00:00.001Z'])}::timestamptz[]) x) AS latest,
             (SELECT sum(x) FROM unnest(${sqlArray(['9223372036854775806', '1'])}::bigint[]) x)::text AS sequences`;
    expect(row).toEqual({
      ids: '01a238a7-0bee-7541-bb2b-e29f563eed59,-',
      total: '1000000000000000000.0000',
      latest: new Date('2026-12-02T21:00:00.001Z'),
      sequences: '9223372036854775807',
    });
  });

  it('writes an empty array for no values', async () => {
    const [row] = await db.$queryRaw<
      Array<{ count: bigint }>
    >`SELECT cardinality(${sqlArray([])}::uuid[])::bigint AS count`;
    expect(row?.count).toBe(0n);
  });
});
