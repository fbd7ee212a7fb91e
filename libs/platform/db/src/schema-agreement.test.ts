import { readFile } from 'node:fs/promises';
import path from 'node:path';
import wasm from '@prisma/prisma-schema-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './testing';

/**
 * Proves that prisma/schema.prisma and the database the migrations build describe the same tables,
 * columns, types, nullability, enums and unique keys. (`prisma migrate diff` needs the native schema
 * engine, which cannot be downloaded here; the schema's DMMF comes from Prisma's own wasm parser.)
 */

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  isRequired: boolean;
  isList: boolean;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
  uniqueFields: string[][];
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: Array<{ name: string; dbName?: string | null }>;
}

const SCALAR_TO_POSTGRES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  DateTime: 'timestamp(3) with time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
  Decimal: 'numeric(65,30)',
};

function expectedColumnType(field: DmmfField, enums: Map<string, string>): string {
  if (field.kind === 'enum') return enums.get(field.type) ?? field.type;
  const native = field.nativeType;
  if (!native) return SCALAR_TO_POSTGRES[field.type] ?? field.type;
  const [name, args] = native;
  const byName: Record<string, string> = {
    Uuid: 'uuid',
    VarChar: `character varying(${args[0]})`,
    Char: `character(${args[0]})`,
    Decimal: `numeric(${args.join(',')})`,
    Timestamptz: `timestamp(${args[0] ?? 6}) with time zone`,
  };
  return byName[name] ?? name.toLowerCase();
}

let database: TestDatabase;
let models: DmmfModel[];
let enums: DmmfEnum[];

beforeAll(async () => {
  database = await createTestDatabase();
  const schema = await readFile(
    path.resolve(import.meta.dirname, '../../../../prisma/schema.prisma'),
    'utf8',
  );
  const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] })));
  models = dmmf.datamodel.models;
  enums = dmmf.datamodel.enums;
});
afterAll(() => database.drop());

describe('schema.prisma and the migrated database', () => {
  it('have the same tables', async () => {
    const { rows } = await database.pool.query(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
    );
    const tables = rows.map((row) => row.table_name).sort();
    expect(tables).toEqual(models.map((model) => model.dbName ?? model.name).sort());
  });

  it('have the same columns with the same types and nullability', async () => {
    const enumTypes = new Map(enums.map((entry) => [entry.name, entry.dbName ?? entry.name]));
    const { rows } = await database.pool.query(
      `SELECT c.table_name, c.column_name, c.is_nullable,
              format_type(a.atttypid, a.atttypmod) AS column_type
         FROM information_schema.columns c
         JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
                            AND a.attname = c.column_name
        WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'`,
    );
    const actual = rows
      .map(
        (row) =>
          `${row.table_name}.${row.column_name} ${row.column_type} ${row.is_nullable === 'YES' ? 'NULL' : 'NOT NULL'}`,
      )
      .sort();
    const expected = models
      .flatMap((model) =>
        model.fields
          .filter((field) => field.kind !== 'object')
          .map((field) => {
            const type = expectedColumnType(field, enumTypes);
            return `${model.dbName ?? model.name}.${field.dbName ?? field.name} ${field.isList ? `${type}[]` : type} ${field.isRequired ? 'NOT NULL' : 'NULL'}`;
          }),
      )
      .sort();
    expect(actual).toEqual(expected);
  });

  it('have the same enums and values', async () => {
    const { rows } = await database.pool.query(
      `SELECT t.typname::text AS typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
    );
    const actual = Object.fromEntries(rows.map((row) => [row.typname, row.labels]));
    const expected = Object.fromEntries(
      enums.map((entry) => [
        entry.dbName ?? entry.name,
        entry.values.map((value) => value.dbName ?? value.name),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it('have the same primary and unique keys', async () => {
    const { rows } = await database.pool.query(
      `SELECT t.relname AS table_name, i.indisprimary AS is_primary,
              array_agg(a.attname::text ORDER BY k.ordinality) AS columns
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE i.indisunique AND i.indpred IS NULL AND t.relname <> '_prisma_migrations'
        GROUP BY t.relname, i.indexrelid, i.indisprimary`,
    );
    const actual = rows
      .map((row) => `${row.table_name} ${row.is_primary ? 'PK' : 'UNIQUE'} (${row.columns.join(',')})`)
      .sort();
    const expected = models
      .flatMap((model) => {
        const table = model.dbName ?? model.name;
        const column = (name: string) => model.fields.find((field) => field.name === name)?.dbName ?? name;
        const idField = model.fields.find((field) => (field as DmmfField & { isId?: boolean }).isId);
        const primary = model.primaryKey?.fields ?? (idField ? [idField.name] : []);
        const uniques = [
          ...model.uniqueFields,
          ...model.fields
            .filter((field) => (field as DmmfField & { isUnique?: boolean }).isUnique)
            .map((field) => [field.name]),
        ];
        return [
          `${table} PK (${primary.map(column).join(',')})`,
          ...uniques.map((fields) => `${table} UNIQUE (${fields.map(column).join(',')})`),
        ];
      })
      .sort();
    expect(actual).toEqual(expected);
  });
});
