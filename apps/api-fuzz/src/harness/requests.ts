/**
 * fast-check arbitraries for requests to any documented route: a valid request derived from the
 * route's OpenAPI schemas and the seeded bank, then mutated (path ids, query values, headers, tokens,
 * Idempotency-Keys, content types, bodies). Everything a real client could put on the wire, and only
 * that: header values stay within what Node's HTTP parser accepts (visible ASCII, tab, and bytes
 * 0x80-0xFF read as latin1), and URLs are percent-encoded byte by byte, lone surrogates included.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { TestTokens } from '@ledgerline/auth/testing';
import type { Role } from '@ledgerline/http';
import { QUEUE_NAMES } from '@ledgerline/queue';
import fc from 'fast-check';
import type { SentRequest } from './oracle';
import type { JsonSchema, Route } from './routes';
import { clientIdOf, type CustomerName, type SeededBank } from './seed';

export interface FuzzContext {
  routes: readonly Route[];
  bank: SeededBank;
  tokens: TestTokens;
}

/** A request ready for `inject`, with what the oracle needs to judge its answer. */
export interface FuzzRequest extends SentRequest {
  route: Route;
  /** The caller the Authorization header names, when it is a valid token. */
  caller: Caller | null;
  /** Ids the path points at (for the no-enumeration check). */
  path_ids: string[];
  /** Why this request must be refused whatever else it carries (a contract-bad amount), if it must. */
  refusal_expected?: string;
}

export type Caller =
  | { role: Exclude<Role, 'customer'> }
  | { role: 'customer'; customer: CustomerName | 'stranger'; customer_id: string };

// ---------------------------------------------------------------------------------------------
// Encoding

/** Percent-encodes every UTF-8 byte outside the unreserved set; a lone surrogate becomes its WTF-8 bytes. */
function percentEncode(text: string): string {
  let out = '';
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(index, index + 2));
      index += 1;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(text[index] ?? '').replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      );
    }
  }
  return out;
}

/** How a header value sent as UTF-8 bytes reaches a Node server: each byte as one latin1 character. */
function asWireHeader(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

const DEEP_MARKER = /"\\u0007deep:(array|object):(\d+)\\u0007"/g;

/** A placeholder for a value nested `depth` levels deep, spliced into the JSON text by {@link toJsonText}. */
function deep(kind: 'array' | 'object', depth: number): string {
  return `\u0007deep:${kind}:${depth}\u0007`;
}

/** JSON text of a generated value, with deep-nesting placeholders expanded (too deep to build as objects). */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(DEEP_MARKER, (_match, kind: string, depth: string) => {
    const levels = Number(depth);
    return kind === 'array'
      ? `${'['.repeat(levels)}1${']'.repeat(levels)}`
      : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Values

/** Strings that break naive handling: unicode edge cases, NUL, injections, format strings. */
const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\udbff\udfff',
  '\u202eevil\u202c',
  'مرحبا بالعالم',
  'שלום',
  '\ufeffBOM',
  '\u200b\u200c\u200d',
  'e\u0301\u0301\u0301',
  '𝕏𝔂𝔃🏦💸',
  '\uffff\ufffe',
  '\u2028\u2029\u0085',
  '\t\r\n',
  "' OR '1'='1",
  "1'; DROP TABLE transfers; --",
  '" OR ""="',
  '$1::numeric',
  '${7*7}{{7*7}}%s%s%n',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00%ED%A0%80',
  'NaN',
  'Infinity',
  '-0',
  'null',
  'true',
  '[]',
  '{}',
];

/**
 * Amounts the contract refuses outright for USD (the currency of generated bodies): JSON numbers and
 * other types, exponents, zero and negatives, more than 2 decimals, more than 18 integer digits,
 * and text that is not a number. Whatever else a request has, one of these in it means it must not be accepted.
 */
const CONTRACT_BAD_AMOUNTS: readonly unknown[] = [
  12.5,
  1,
  1e3,
  -1,
  0,
  1e21,
  1e400,
  '1e3',
  '1E3',
  '1.5e2',
  '-5.00',
  '-0.01',
  '0',
  '0.00',
  '-0',
  '1.001',
  '0.001',
  '1234567890123456789',
  '1234567890123456789.00',
  '99999999999999999999999999999999999999.99',
  '1,00',
  '1_000',
  '0x1A',
  '١٠٫٠٠',
  '１.００',
  'NaN',
  'Infinity',
  '',
  '1.00\u0000',
  '\ud8001.00',
  '1.0000000000000000000000000000000000001',
  null,
  true,
  [],
  ['1.00'],
  {},
  { amount: '1.00' },
];

/** Odd spellings the contract does not rule on explicitly (signs, padding, bare points): fuzzed, not judged. */
const ODD_AMOUNTS: readonly unknown[] = [' 1.00', '1.00 ', '+1.00', '01.00', '1.', '.50'];

const BAD_CURRENCIES: readonly unknown[] = [
  'usd',
  'US',
  'USDD',
  'XXX',
  'ZZZ',
  'ＵＳＤ',
  '',
  'U\u0000D',
  840,
  null,
  ['USD'],
];

/** Any JSON-ish value that is wrong for most fields: other types, huge and hostile strings, deep nesting. */
function weirdValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom<unknown>(
        null,
        true,
        false,
        0,
        -1,
        1.5,
        2 ** 53 + 2,
        1e308,
        -1e-320,
        [],
        {},
        [null],
        [[[]]],
        { '': '' },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        { note: '\u0000' },
        { '\u0000': 1 },
        { ['k'.repeat(65)]: 1 },
        { a: { b: { c: { d: 1 } } } },
        { n: 1e308 },
        { s: '\ud800' },
      ),
    },
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(501, 4097, 70_000, 1_100_000).map((length) => 'A'.repeat(length)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom<'array' | 'object'>('array', 'object'),
          fc.constantFrom(4, 64, 1_000, 20_000, 200_000),
        )
        .map(([kind, depth]) => deep(kind, depth)),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

/** Object keys that are wrong everywhere: unknown, prototype-polluting, empty, huge, unicode. */
function weirdKey(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'id',
      'status',
      'balance',
      'role',
      'admin',
      '',
      ' ',
      '\u0000',
      '\ud800',
      'k'.repeat(300),
      'amount ',
      'AMOUNT',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  );
}

// ---------------------------------------------------------------------------------------------
// Valid requests from the OpenAPI schemas

function idForField(name: string, bank: SeededBank): string {
  if (name === 'destination_account_id') return bank.accounts.bob_usd;
  if (name.endsWith('account_id')) return bank.accounts.alice_usd;
  if (name === 'customer_id') return bank.customers.alice;
  if (name.endsWith('transfer_id')) return bank.transfers.posted;
  return bank.accounts.alice_usd;
}

function firstConcreteBranch(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches === undefined) return schema;
  return branches.find((branch) => branch.type !== 'null') ?? branches[0] ?? {};
}

/** A valid value for `schema` named `name`: seeded ids for uuids, USD amounts, examples elsewhere. */
export function exampleOf(
  schema: JsonSchema,
  name: string,
  bank: SeededBank,
  optional: ReadonlySet<string> = new Set(),
): unknown {
  const concrete = firstConcreteBranch(schema);
  if (concrete.const !== undefined) return concrete.const;
  if (concrete.enum !== undefined) return concrete.enum[0];
  const type = Array.isArray(concrete.type)
    ? concrete.type.find((candidate) => candidate !== 'null')
    : concrete.type;
  switch (type) {
    case 'object': {
      // A free-form record (metadata) gets one member, so that nested mutations have something to change.
      if (concrete.properties === undefined) return { note: 'fuzz' };
      const value: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(concrete.properties)) {
        if ((concrete.required ?? []).includes(key) || optional.has(key))
          value[key] = exampleOf(property, key, bank, optional);
      }
      return value;
    }
    case 'array':
      return Array.from({ length: Math.max(1, concrete.minItems ?? 1) }, () =>
        exampleOf(concrete.items ?? {}, name, bank, optional),
      );
    case 'integer':
    case 'number':
      return concrete.minimum ?? concrete.default ?? 1;
    case 'boolean':
      return false;
    default:
      if (concrete.format === 'uuid') return idForField(name, bank);
      if (concrete.format === 'date-time') return new Date().toISOString();
      if (name === 'amount') return '1.00';
      if (name === 'currency') return 'USD';
      if (name === 'country') return 'US';
      if (concrete.examples?.[0] !== undefined) return concrete.examples[0];
      if (name.includes('date')) return '1990-01-01';
      if (name === 'email') return 'fuzz@example.com';
      return 'f'.repeat(Math.max(4, concrete.minLength ?? 0));
  }
}

/** The seeded resources a path parameter of `template` may name (queue names and job ids for the ops routes). */
function resourceIdsFor(template: string, parameter: string, bank: SeededBank): string[] {
  if (template.startsWith('/v1/customers')) return Object.values(bank.customers);
  if (template.startsWith('/v1/accounts')) return Object.values(bank.accounts);
  if (template.startsWith('/v1/transfers')) return Object.values(bank.transfers);
  if (template.startsWith('/v1/compliance/cases')) return [bank.compliance.open_case];
  if (template.startsWith('/v1/compliance/reports')) return [bank.compliance.queued_report];
  if (template.startsWith('/v1/ops/queues'))
    return parameter === 'name' ? [...QUEUE_NAMES] : [bank.failed_job];
  return [...Object.values(bank.accounts), ...Object.values(bank.transfers)];
}

/** The resource a valid request to this route names: alice's where ownership matters, so that alice, service and admin may all use it. */
function validPathId(route: Route, parameter: string, bank: SeededBank): string {
  if (route.template.startsWith('/v1/customers')) return bank.customers.alice;
  if (route.template.startsWith('/v1/transfers'))
    return /\/(capture|void)$/.test(route.template) ? bank.transfers.pending_hold : bank.transfers.posted;
  if (route.template.startsWith('/v1/compliance/cases')) return bank.compliance.open_case;
  if (route.template.startsWith('/v1/compliance/reports')) return bank.compliance.queued_report;
  if (route.template.startsWith('/v1/ops/queues')) return parameter === 'name' ? 'ledger' : bank.failed_job;
  return bank.accounts.alice_usd;
}

function allSeededIds(bank: SeededBank): string[] {
  return [
    ...Object.values(bank.customers),
    ...Object.values(bank.accounts),
    ...Object.values(bank.transfers),
    ...Object.values(bank.compliance),
  ];
}

/** Path segments sent as they are (already percent-encoded, or deliberately broken encodings). */
const RAW_PATH_SEGMENTS = [
  '%',
  '%zz',
  '%00',
  '%ED%A0%80',
  '%C0%AF',
  '%FF%FE',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '..',
  '.',
  '%E2%80%AE',
  '%20',
  '%0A',
  'a%2Fb',
  ';',
  '*',
];

const BAD_UUIDS = [
  '',
  'not-a-uuid',
  '1',
  '-1',
  'null',
  'undefined',
  '00000000-0000-0000-0000-00000000000',
  '00000000-0000-0000-0000-0000000000000',
  '0190a000-0000-7000-8000-00000000000g',
  '{0190a000-0000-7000-8000-000000000001}',
  '0190a0000000700080000000000000001',
  'urn:uuid:0190a000-0000-7000-8000-000000000001',
  '0190a000-0000-7000-8000-000000000001 ',
  "0190a000-0000-7000-8000-000000000001' OR '1'='1",
  '０１９０a000-0000-7000-8000-000000000001',
  '0190a000\u0000-0000-7000-8000-000000000001',
  '\ud800',
  'x'.repeat(5_000),
];

function pathIdArbitrary(
  route: Route,
  parameter: string,
  bank: SeededBank,
): fc.Arbitrary<{ segment: string; ids: string[]; label: string }> {
  const own = resourceIdsFor(route.template, parameter, bank);
  const encoded = (label: string) => (value: string) => ({
    segment: percentEncode(value),
    ids: [] as string[],
    label: `${label} ${JSON.stringify(value.slice(0, 60))}`,
  });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...own).map((id) => ({ segment: id, ids: [id], label: `seeded ${id}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...allSeededIds(bank))
        .map((id) => ({ segment: id, ids: [id], label: `seeded id of any kind ${id}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...own)
        .map((id) => ({ segment: id.toUpperCase(), ids: [id], label: `upper-case seeded ${id}` })),
    },
    { weight: 2, arbitrary: fc.uuid().map(encoded('random uuid')) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff')
        .map(encoded('edge uuid')),
    },
    { weight: 3, arbitrary: fc.constantFrom(...BAD_UUIDS).map(encoded('bad uuid')) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...RAW_PATH_SEGMENTS)
        .map((segment) => ({ segment, ids: [] as string[], label: `raw segment ${segment}` })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS).map(encoded('nasty string')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(encoded('generated string')) },
  );
}

// ---------------------------------------------------------------------------------------------
// Query strings

/** Timestamps that are wrong, or right but at the edges of what Date and Postgres hold. */
const BAD_TIMESTAMPS = [
  '2024-13-45T00:00:00.000Z',
  '2024-02-30T00:00:00.000Z',
  '2016-12-31T23:59:60.000Z',
  '2016-12-31T23:59:60Z',
  '0000-01-01T00:00:00.000Z',
  '0001-01-01T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '-000001-01-01T00:00:00.000Z',
  '2024-01-01',
  '2024-01-01T00:00:00',
  '2024-01-01T00:00:00.000+14:00',
  '2024-01-01T00:00:00.000-23:59',
  '2024-01-01T24:00:00.000Z',
  '2024-01-01t00:00:00.000z',
  '2024-01-01T00:00:00.123456789Z',
  '1704067200',
  'now',
];

const BAD_QUERY_VALUES = [
  '',
  ' ',
  '0',
  '-1',
  '201',
  '1e2',
  '1.5',
  '0x10',
  '9'.repeat(40),
  'abc',
  'null',
  'true',
  '[]',
  '{}',
  'ACTIVE',
  'posted,pending',
  'x'.repeat(3_000),
  '\u0000',
  '\ud800',
  'NaN',
  '2024-13-45T00:00:00.000Z',
  '2024-02-30T00:00:00.000Z',
  '2016-12-31T23:59:60.000Z',
  '2016-12-31T23:59:60Z',
  '0000-01-01T00:00:00.000Z',
  '0001-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '2024-01-01',
  '2024-01-01T00:00:00',
  '2024-01-01T00:00:00.000+14:00',
  '2024-01-01T00:00:00.000-23:59',
  '1704067200',
];

/** Cursors that are not this list's: garbage, huge, not base64url, other shapes, other lists' cursors. */
function badCursors(bank: SeededBank): string[] {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return [
    bank.cursors.accounts,
    bank.cursors.entries,
    bank.cursors.transfers,
    bank.cursors.cases,
    `${bank.cursors.transfers}x`,
    bank.cursors.accounts.slice(0, -2),
    'not a cursor',
    '!!!!',
    'A'.repeat(1_024),
    'A'.repeat(1_025),
    'A'.repeat(20_000),
    b64(null),
    b64([]),
    b64('x'),
    b64(42),
    b64({}),
    b64({ id: 'not-a-uuid' }),
    b64({ id: randomUUID(), extra: 1 }),
    b64({ id: { $gt: '' } }),
    b64({ sequence: '0' }),
    b64({ sequence: '-1' }),
    b64({ sequence: '99999999999999999999' }),
    b64({ sequence: '9223372036854775808' }),
    b64({ sequence: '9999999999999999999' }),
    b64({ sequence: 1e300 }),
    b64({ sequence: '1e3' }),
    b64({ created_at: 'yesterday', id: randomUUID() }),
    b64({ id: "' OR 1=1 --" }),
    Buffer.from('{"id":"\u0000"}').toString('base64url'),
    Buffer.from([0xff, 0xfe, 0xfd]).toString('base64url'),
    Buffer.from('{"id":').toString('base64url'),
  ];
}

function validQueryValue(name: string, schema: JsonSchema, route: Route, bank: SeededBank): string {
  if (name === 'cursor') {
    if (route.template === '/v1/accounts') return bank.cursors.accounts;
    if (route.template.endsWith('/entries')) return bank.cursors.entries;
    if (route.template === '/v1/compliance/cases') return bank.cursors.cases;
    return bank.cursors.transfers;
  }
  return String(exampleOf(schema, name, bank));
}

// ---------------------------------------------------------------------------------------------
// Bodies

type FieldPath = ReadonlyArray<string | number>;

/** Paths of every member of the body, nested ones included (a batch's first transfer, metadata). */
function fieldPaths(value: unknown, prefix: FieldPath = [], depth = 0): FieldPath[] {
  if (depth > 3 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value))
    return value.length === 0 ? [] : [[...prefix, 0], ...fieldPaths(value[0], [...prefix, 0], depth + 1)];
  return Object.keys(value).flatMap((key) => [
    [...prefix, key],
    ...fieldPaths((value as Record<string, unknown>)[key], [...prefix, key], depth + 1),
  ]);
}

/** Paths of every object in the body, the body itself first. */
function objectPaths(value: unknown, prefix: FieldPath = [], depth = 0): FieldPath[] {
  if (depth > 3 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.length === 0 ? [] : objectPaths(value[0], [...prefix, 0], depth + 1);
  return [
    prefix,
    ...Object.keys(value).flatMap((key) =>
      objectPaths((value as Record<string, unknown>)[key], [...prefix, key], depth + 1),
    ),
  ];
}

function parentOf(body: unknown, path: FieldPath): Record<string | number, unknown> | undefined {
  let node = body;
  for (const step of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

function pathLabel(path: FieldPath): string {
  return path.length === 0 ? '(body)' : path.join('.');
}

type BodyOp =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'text'; pick: number; value: string }
  | { op: 'drop'; pick: number }
  | { op: 'extra'; pick: number; key: string; value: unknown }
  | { op: 'amount'; value: unknown }
  | { op: 'currency'; value: unknown };

/** Applies one op to a JSON body in place; returns what it did. */
function applyBodyOp(body: Record<string, unknown>, op: BodyOp): string {
  const fields = fieldPaths(body);
  const named = (name: string) => fields.find((path) => path[path.length - 1] === name) ?? [name];
  const setAt = (path: FieldPath, value: unknown) => {
    const parent = parentOf(body, path) ?? body;
    const key = path[path.length - 1] ?? 'amount';
    // A copy: generated constants are shared between runs, and later ops may change what was set.
    Object.defineProperty(parent, key, {
      value: structuredClone(value),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  };
  switch (op.op) {
    case 'set': {
      const path = fields[op.pick % Math.max(1, fields.length)] ?? ['amount'];
      setAt(path, op.value);
      return `${pathLabel(path)} = ${describeValue(op.value)}`;
    }
    case 'text': {
      // Strings reach the database as text: the place where NUL, surrogates and length limits bite.
      const strings = fields.filter(
        (path) => typeof parentOf(body, path)?.[path[path.length - 1] ?? ''] === 'string',
      );
      const path = strings[op.pick % Math.max(1, strings.length)] ?? ['description'];
      setAt(path, op.value);
      return `${pathLabel(path)} = ${describeValue(op.value)}`;
    }
    case 'drop': {
      const path = fields[op.pick % Math.max(1, fields.length)];
      if (path === undefined) return 'drop nothing';
      const parent = parentOf(body, path);
      const key = path[path.length - 1];
      if (parent !== undefined && key !== undefined) {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      }
      return `drop ${pathLabel(path)}`;
    }
    case 'extra': {
      const objects = objectPaths(body);
      const target = objects[op.pick % objects.length] ?? [];
      setAt([...target, op.key], op.value);
      return `extra ${pathLabel([...target, JSON.stringify(op.key.slice(0, 30))])} = ${describeValue(op.value)}`;
    }
    case 'amount':
      setAt(named('amount'), op.value);
      return `${pathLabel(named('amount'))} = ${describeValue(op.value)}`;
    case 'currency':
      setAt(named('currency'), op.value);
      return `${pathLabel(named('currency'))} = ${describeValue(op.value)}`;
  }
}

/** Request bodies that are not a JSON object, or not JSON at all, or not UTF-8. */
const RAW_BODIES: ReadonlyArray<{ payload: string | Buffer; label: string }> = [
  { payload: '', label: 'empty' },
  { payload: ' ', label: 'one space' },
  { payload: '{', label: 'truncated object' },
  { payload: '{"amount":', label: 'truncated member' },
  { payload: '{"amount": 1.00,}', label: 'trailing comma' },
  { payload: "{'amount':'1.00'}", label: 'single quotes' },
  { payload: '\ufeff{}', label: 'byte order mark' },
  { payload: '{"a":1}{"b":2}', label: 'two documents' },
  { payload: 'NaN', label: 'NaN' },
  { payload: '1'.repeat(100_000), label: 'a 100k-digit number' },
  { payload: '{"__proto__":{"role":"admin"}}', label: '__proto__ key' },
  { payload: '{"constructor":{"prototype":{"role":"admin"}}}', label: 'constructor.prototype key' },
  { payload: '{"amount":"1.00","amount":1}', label: 'duplicate keys' },
  { payload: '{"a":"\\ud800"}', label: 'escaped lone surrogate' },
  { payload: '{"a":"\\x00"}', label: 'invalid escape' },
  { payload: '{"a":"\u0001"}', label: 'raw control character in a string' },
  { payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, label: '100k nested arrays' },
  { payload: `{"metadata":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, label: '100k nested objects' },
  { payload: `{"description":"${'y'.repeat(1_100_000)}"}`, label: 'over the body limit' },
  { payload: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), label: 'UTF-16 BOM bytes' },
  { payload: Buffer.from('{"description":"\xC0\xAF"}', 'latin1'), label: 'overlong UTF-8' },
  { payload: Buffer.from('{"description":"\xED\xA0\x80"}', 'latin1'), label: 'UTF-8 encoded lone surrogate' },
  { payload: Buffer.from('{"description":"\xFF"}', 'latin1'), label: 'invalid UTF-8 byte' },
  { payload: Buffer.from('{"amount":"1.00"}', 'utf16le'), label: 'UTF-16LE JSON' },
];

function bodyOpArbitrary(): fc.Arbitrary<BodyOp> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({ pick: fc.nat(), value: weirdValue() })
        .map(({ pick, value }): BodyOp => ({ op: 'set', pick, value })),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          pick: fc.nat(),
          value: fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom('\u0000', 'fuzz\u0000', '\u0000fuzz', 'a\u0000b') },
            { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
            { weight: 1, arbitrary: fc.constantFrom(256, 501, 4_097).map((length) => 'é'.repeat(length)) },
            { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
          ),
        })
        .map(({ pick, value }): BodyOp => ({ op: 'text', pick, value })),
    },
    { weight: 1, arbitrary: fc.nat().map((pick): BodyOp => ({ op: 'drop', pick })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ pick: fc.nat(), key: weirdKey(), value: weirdValue() })
        .map(({ pick, key, value }): BodyOp => ({ op: 'extra', pick, key, value })),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...CONTRACT_BAD_AMOUNTS, ...ODD_AMOUNTS)
        .map((value): BodyOp => ({ op: 'amount', value })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...BAD_CURRENCIES).map((value): BodyOp => ({ op: 'currency', value })),
    },
  );
}

function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40
      ? `<string of ${value.length}: ${JSON.stringify(value.slice(0, 20))}...>`
      : JSON.stringify(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** Names of the optional members of a body schema, at any depth. */
function optionalNames(schema: JsonSchema | undefined, depth = 0): string[] {
  if (schema === undefined || depth > 3) return [];
  const concrete = firstConcreteBranch(schema);
  const own = Object.keys(concrete.properties ?? {}).filter(
    (key) => !(concrete.required ?? []).includes(key),
  );
  const nested = Object.values(concrete.properties ?? {}).flatMap((property) =>
    optionalNames(property, depth + 1),
  );
  return [...new Set([...own, ...nested, ...optionalNames(concrete.items, depth + 1)])];
}

// ---------------------------------------------------------------------------------------------
// Tokens, keys, content types

export type TokenKind =
  | 'expired'
  | 'wrong audience'
  | 'wrong issuer'
  | 'alg none'
  | 'tampered'
  | 'wrong secret'
  | 'HMAC signed with an RSA public key'
  | 'unknown role'
  | 'customer without customer_id'
  | 'customer_id not a uuid'
  | 'service bound to a customer'
  | 'subject too long'
  | 'no jti'
  | 'not before the future';

let rsaPublicKey: string | undefined;

/** Every kind of token that must be refused with 401, for a caller that would otherwise be allowed. */
export function badTokens(tokens: TestTokens): Record<TokenKind, () => string> {
  // One key pair per process: generating RSA keys is slow on a busy machine.
  rsaPublicKey ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).publicKey;
  const publicKey = rsaPublicKey;
  const now = () => Math.floor(Date.now() / 1000);
  return {
    expired: () => tokens.expired('admin'),
    'wrong audience': () => tokens.wrongAudience('admin'),
    'wrong issuer': () => tokens.wrongIssuer('admin'),
    'alg none': () => tokens.algNone('admin'),
    tampered: () => tokens.tampered('operator'),
    'wrong secret': () => tokens.wrongSecret('admin'),
    'HMAC signed with an RSA public key': () => tokens.hmacSignedWithPublicKey(publicKey, 'admin'),
    'unknown role': () => tokens.forRole('admin', { claims: { role: 'superuser' } }),
    'customer without customer_id': () => tokens.forRole('customer', { claims: { customer_id: undefined } }),
    'customer_id not a uuid': () => tokens.forRole('customer', { customer_id: "1' OR '1'='1" }),
    'service bound to a customer': () => tokens.forRole('service', { claims: { customer_id: randomUUID() } }),
    'subject too long': () => tokens.forRole('admin', { client_id: 's'.repeat(200) }),
    'no jti': () => tokens.forRole('admin', { claims: { jti: undefined } }),
    'not before the future': () => tokens.forRole('admin', { claims: { nbf: now() + 3_600 } }),
  };
}

/** Authorization headers that are not a bearer JWT at all. */
const MALFORMED_AUTHORIZATION = [
  'Bearer',
  'Bearer ',
  'Bearer  ',
  'Basic dXNlcjpwYXNz',
  'Token abc',
  'Bearer a.b.c',
  'Bearer ..',
  'Bearer eyJhbGciOiJub25lIn0',
  `Bearer ${'A'.repeat(8_000)}`,
  'Bearer \t',
  asWireHeader('Bearer ключ'),
];

type AuthPlan =
  | { kind: 'caller'; caller: CallerPlan }
  | { kind: 'absent' }
  | { kind: 'bad token'; token: TokenKind }
  | { kind: 'malformed'; header: string }
  | { kind: 'valid token, mangled'; how: 'lower-case scheme' | 'trailing garbage' | 'twice' };
type CallerPlan = Exclude<Role, 'customer'> | `customer:${CustomerName | 'stranger'}`;

const CALLERS: readonly CallerPlan[] = [
  'service',
  'admin',
  'operator',
  'compliance',
  'customer:alice',
  'customer:bob',
  'customer:carol',
  'customer:stranger',
];
export const TOKEN_KINDS: readonly TokenKind[] = [
  'expired',
  'wrong audience',
  'wrong issuer',
  'alg none',
  'tampered',
  'wrong secret',
  'HMAC signed with an RSA public key',
  'unknown role',
  'customer without customer_id',
  'customer_id not a uuid',
  'service bound to a customer',
  'subject too long',
  'no jti',
  'not before the future',
];

/** Any caller but the one a valid request uses: other roles, other customers, bad and malformed tokens, none. */
function otherAuthArbitrary(): fc.Arbitrary<AuthPlan> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...CALLERS).map((caller): AuthPlan => ({ kind: 'caller', caller })),
    },
    { weight: 1, arbitrary: fc.constant<AuthPlan>({ kind: 'absent' }) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(...TOKEN_KINDS).map((token): AuthPlan => ({ kind: 'bad token', token })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...MALFORMED_AUTHORIZATION)
        .map((header): AuthPlan => ({ kind: 'malformed', header })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<'lower-case scheme' | 'trailing garbage' | 'twice'>(
          'lower-case scheme',
          'trailing garbage',
          'twice',
        )
        .map((how): AuthPlan => ({ kind: 'valid token, mangled', how })),
    },
  );
}

type KeyPlan =
  | 'fresh'
  | 'absent'
  | 'empty'
  | 'too long'
  | 'max length'
  | 'control character'
  | 'non-ASCII'
  | 'already used'
  | 'duplicate header'
  | 'one space'
  | 'tab';
const KEY_PLANS: readonly KeyPlan[] = [
  'absent',
  'empty',
  'too long',
  'max length',
  'control character',
  'non-ASCII',
  'already used',
  'duplicate header',
  'one space',
  'tab',
];

function keyHeader(plan: KeyPlan, bank: SeededBank): string | string[] | undefined {
  switch (plan) {
    case 'fresh':
      return randomUUID();
    case 'absent':
      return undefined;
    case 'empty':
      return '';
    case 'too long':
      return 'k'.repeat(256);
    case 'max length':
      return `${randomUUID()}${'k'.repeat(219)}`;
    case 'control character':
      return `key\u007f${randomUUID()}`;
    case 'non-ASCII':
      return asWireHeader(`ключ-${randomUUID()}`);
    case 'already used':
      return bank.used_idempotency_key;
    case 'duplicate header':
      return [randomUUID(), randomUUID()];
    case 'one space':
      return ' ';
    case 'tab':
      return `\t${randomUUID()}`;
  }
}

const CONTENT_TYPES: ReadonlyArray<string | null> = [
  null,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'text/csv',
  'application/problem+json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/jsonx',
  'application/json, text/plain',
  'application/vnd.api+json',
  '*/*',
  '',
  'x'.repeat(2_000),
];

/** Values for documented non-key headers (`Prefer`): none may make the request wait for a transfer. */
const HEADER_VALUES = [
  'wait=0',
  'wait=abc',
  'wait=-1',
  'wait=99999999999',
  'respond-async',
  'return=minimal',
  '',
  'x'.repeat(300),
  asWireHeader('wait=٣'),
];

const OTHER_METHODS = ['PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];

// ---------------------------------------------------------------------------------------------
// Requests

/** One change to an otherwise valid request. */
type Mutation =
  | { kind: 'body'; op: BodyOp }
  | { kind: 'raw body'; payload: string | Buffer; label: string }
  | { kind: 'body replaced'; value: unknown }
  | { kind: 'no body' }
  | { kind: 'path'; index: number; segment: string; ids: string[]; label: string }
  | { kind: 'query'; pick: number; value: string }
  | { kind: 'query extra'; name: string; value: string }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'key'; plan: KeyPlan }
  | { kind: 'content type'; value: string | null }
  | { kind: 'auth'; plan: AuthPlan }
  | { kind: 'method'; method: string };

/**
 * `near-valid`: a valid request from an allowed caller with one change (sometimes two or three), so the
 * change reaches validation, the services' own checks and the database. `hostile`: three to six changes
 * at once, the envelope (tokens, keys, content types, methods, raw bodies) as likely as the body.
 */
export type Profile = 'near-valid' | 'hostile';

interface Draft {
  method: string;
  segments: Array<{ segment: string; ids: string[]; label: string }>;
  query: Array<[string, string]>;
  headers: Record<string, string | string[]>;
  auth: AuthPlan;
  key: KeyPlan;
  content_type: string | null;
  body:
    | { kind: 'json'; value: Record<string, unknown> }
    | { kind: 'none' }
    | { kind: 'raw'; payload: string | Buffer };
  labels: string[];
}

function mutationArbitrary(route: Route, bank: SeededBank, profile: Profile): fc.Arbitrary<Mutation> {
  const hostile = profile === 'hostile';
  const cursors = badCursors(bank);
  const documentedHeaders = route.headers.filter((header) => header.name !== 'idempotency-key');
  const hasBody = route.body !== undefined;
  return weighted<Mutation>(
    { weight: hasBody ? 12 : 0, arbitrary: bodyOpArbitrary().map((op): Mutation => ({ kind: 'body', op })) },
    {
      weight: hasBody ? (hostile ? 3 : 1) : 1,
      arbitrary: fc.constantFrom(...RAW_BODIES).map((raw): Mutation => ({ kind: 'raw body', ...raw })),
    },
    {
      weight: hasBody ? 1 : 0,
      arbitrary: weirdValue().map((value): Mutation => ({ kind: 'body replaced', value })),
    },
    { weight: hasBody ? 1 : 0, arbitrary: fc.constant<Mutation>({ kind: 'no body' }) },
    {
      weight: route.path.length > 0 ? 4 : 0,
      arbitrary: fc.nat().chain((pick) => {
        const index = pick % Math.max(1, route.path.length);
        return pathIdArbitrary(route, route.path[index]?.name ?? 'id', bank).map((segment): Mutation => ({
          kind: 'path',
          index,
          ...segment,
        }));
      }),
    },
    {
      weight: route.query.length > 0 ? 8 : 0,
      arbitrary: fc.nat().chain((pick) => {
        const parameter = route.query[pick % Math.max(1, route.query.length)];
        const suited =
          parameter?.name === 'cursor'
            ? cursors
            : parameter?.schema.format === 'date-time'
              ? BAD_TIMESTAMPS
              : BAD_QUERY_VALUES;
        return fc
          .oneof(
            { weight: 4, arbitrary: fc.constantFrom(...suited) },
            { weight: 1, arbitrary: fc.constantFrom(...BAD_QUERY_VALUES) },
            { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
          )
          .map((value): Mutation => ({ kind: 'query', pick, value }));
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom<[string, string]>(
            ['foo', 'bar'],
            ['__proto__', 'x'],
            ['constructor[prototype][admin]', 'true'],
            ['limit[]', '1'],
            ['', 'x'],
            ['a'.repeat(2_000), '1'],
          ),
          fc.tuple(
            fc.constantFrom(...route.query.map((query) => query.name), 'limit', 'status'),
            fc.constantFrom(...BAD_QUERY_VALUES),
          ),
        )
        .map(([name, value]): Mutation => ({ kind: 'query extra', name, value })),
    },
    {
      weight: documentedHeaders.length > 0 ? 1 : 0,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...documentedHeaders.map((header) => header.name), 'prefer'),
          fc.constantFrom(...HEADER_VALUES),
        )
        .map(([name, value]): Mutation => ({ kind: 'header', name, value })),
    },
    {
      weight: route.takes_idempotency_key ? (hostile ? 3 : 1) : 0,
      arbitrary: fc.constantFrom(...KEY_PLANS).map((plan): Mutation => ({ kind: 'key', plan })),
    },
    {
      weight: hasBody ? (hostile ? 3 : 1) : 0,
      arbitrary: fc
        .constantFrom(...CONTENT_TYPES)
        .map((value): Mutation => ({ kind: 'content type', value })),
    },
    {
      weight: hostile ? 4 : 1,
      arbitrary: otherAuthArbitrary().map((plan): Mutation => ({ kind: 'auth', plan })),
    },
    {
      weight: hostile ? 1 : 0,
      arbitrary: fc.constantFrom(...OTHER_METHODS).map((method): Mutation => ({ kind: 'method', method })),
    },
  );
}

function applyMutation(draft: Draft, mutation: Mutation, route: Route): void {
  switch (mutation.kind) {
    case 'body':
      if (draft.body.kind !== 'json') draft.body = { kind: 'json', value: {} };
      draft.labels.push(`body: ${applyBodyOp(draft.body.value, mutation.op)}`);
      return;
    case 'raw body':
      draft.body = { kind: 'raw', payload: mutation.payload };
      draft.labels.push(`raw body: ${mutation.label}`);
      return;
    case 'body replaced':
      draft.body = { kind: 'raw', payload: toJsonText(mutation.value) };
      draft.labels.push(`body replaced by ${describeValue(mutation.value)}`);
      return;
    case 'no body':
      draft.body = { kind: 'none' };
      draft.labels.push('no body');
      return;
    case 'path': {
      const { segment, ids, label } = mutation;
      draft.segments[mutation.index] = { segment, ids, label };
      draft.labels.push(`${route.path[mutation.index]?.name ?? 'id'}: ${label}`);
      return;
    }
    case 'query': {
      const names = route.query.map((query) => query.name);
      const name = names[mutation.pick % names.length] ?? 'limit';
      draft.query = [...draft.query.filter(([existing]) => existing !== name), [name, mutation.value]];
      draft.labels.push(`?${name}=${describeValue(mutation.value)}`);
      return;
    }
    case 'query extra':
      draft.query.push([mutation.name, mutation.value]);
      draft.labels.push(`extra ?${describeValue(mutation.name)}=${describeValue(mutation.value)}`);
      return;
    case 'header':
      draft.headers[mutation.name] = mutation.value;
      draft.labels.push(`${mutation.name}: ${describeValue(mutation.value)}`);
      return;
    case 'key':
      draft.key = mutation.plan;
      draft.labels.push(`Idempotency-Key: ${mutation.plan}`);
      return;
    case 'content type':
      draft.content_type = mutation.value;
      draft.labels.push(
        `Content-Type: ${mutation.value === null ? 'absent' : describeValue(mutation.value)}`,
      );
      return;
    case 'auth':
      draft.auth = mutation.plan;
      draft.labels.push(`auth: ${describeAuth(mutation.plan)}`);
      return;
    case 'method':
      draft.method = mutation.method;
      draft.labels.push(`method ${mutation.method}`);
      return;
  }
}

function describeAuth(plan: AuthPlan): string {
  switch (plan.kind) {
    case 'caller':
      return plan.caller;
    case 'absent':
      return 'none';
    case 'bad token':
      return `bad token (${plan.token})`;
    case 'malformed':
      return `malformed ${describeValue(plan.header)}`;
    case 'valid token, mangled':
      return `valid token, ${plan.how}`;
  }
}

/** Requests to any documented route, each printed by fast-check as its one-line description. */
export function requestArbitrary(context: FuzzContext, profile: Profile): fc.Arbitrary<FuzzRequest> {
  const { bank, tokens } = context;
  const invalidTokens = badTokens(tokens);
  const perRoute = context.routes.map((route) => {
    const optional = optionalNames(route.body);
    return fc
      .record({
        caller: fc.constantFrom<CallerPlan>('admin', 'admin', 'service', 'customer:alice'),
        optional: fc.oneof(fc.constant([]), fc.subarray(optional)),
        query_present: fc.array(fc.boolean(), {
          minLength: route.query.length,
          maxLength: route.query.length,
        }),
        mutations:
          profile === 'near-valid'
            ? fc.oneof(
                {
                  weight: 5,
                  arbitrary: fc.array(mutationArbitrary(route, bank, profile), {
                    minLength: 1,
                    maxLength: 1,
                  }),
                },
                {
                  weight: 1,
                  arbitrary: fc.array(mutationArbitrary(route, bank, profile), {
                    minLength: 2,
                    maxLength: 3,
                  }),
                },
              )
            : fc.array(mutationArbitrary(route, bank, profile), { minLength: 3, maxLength: 6 }),
      })
      .map(({ caller, optional: chosen, query_present, mutations }): FuzzRequest => {
        const draft: Draft = {
          method: route.method,
          segments: route.path.map((parameter) => {
            const id = validPathId(route, parameter.name, bank);
            return { segment: id, ids: [id], label: 'valid' };
          }),
          query: route.query
            .filter((_, index) => query_present[index] === true)
            .map((query) => [query.name, validQueryValue(query.name, query.schema, route, bank)]),
          headers: {},
          auth: { kind: 'caller', caller },
          key: 'fresh',
          content_type: 'application/json',
          body:
            route.body === undefined
              ? { kind: 'none' }
              : {
                  kind: 'json',
                  value: exampleOf(route.body, '', bank, new Set(chosen)) as Record<string, unknown>,
                },
          labels: [],
        };
        for (const mutation of mutations) applyMutation(draft, mutation, route);
        const request = materialize(route, draft, caller, { bank, tokens, invalidTokens });
        const badAmount = mutations.find(
          (mutation) =>
            mutation.kind === 'body' &&
            mutation.op.op === 'amount' &&
            CONTRACT_BAD_AMOUNTS.includes(mutation.op.value),
        );
        // Sent with another method (HEAD of a list, say), the body is not what the route reads.
        if (badAmount?.kind === 'body' && draft.body.kind === 'json' && draft.method === route.method) {
          request.refusal_expected = `its amount ${describeValue((badAmount.op as { value: unknown }).value)} is not a valid USD amount`;
        }
        return request;
      });
  });
  return fc.oneof(...perRoute);
}

function materialize(
  route: Route,
  draft: Draft,
  startingCaller: CallerPlan,
  {
    bank,
    tokens,
    invalidTokens,
  }: { bank: SeededBank; tokens: TestTokens; invalidTokens: Record<TokenKind, () => string> },
): FuzzRequest {
  let path = route.template;
  route.path.forEach((parameter, index) => {
    path = path.replace(`{${parameter.name}}`, draft.segments[index]?.segment ?? '');
  });
  const query = draft.query
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join('&');
  const url = query === '' ? path : `${path}?${query}`;

  const headers: Record<string, string | string[]> = { ...draft.headers };
  let caller: Caller | null = null;
  const auth = draft.auth;
  if (auth.kind === 'caller') {
    caller = callerOf(auth.caller, bank);
    headers['authorization'] = tokenFor(tokens, caller);
  } else if (auth.kind === 'bad token') {
    headers['authorization'] = `Bearer ${invalidTokens[auth.token]()}`;
  } else if (auth.kind === 'malformed') {
    headers['authorization'] = auth.header;
  } else if (auth.kind === 'valid token, mangled') {
    const token = tokens.forRole('admin', { client_id: clientIdOf('admin') });
    headers['authorization'] =
      auth.how === 'lower-case scheme'
        ? `bearer ${token}`
        : auth.how === 'trailing garbage'
          ? `Bearer ${token}x`
          : `Bearer ${token} ${token}`;
  }
  if (route.takes_idempotency_key || draft.key !== 'fresh') {
    const key = keyHeader(draft.key, bank);
    if (key !== undefined) headers['idempotency-key'] = key;
  }
  const payload =
    draft.body.kind === 'json'
      ? toJsonText(draft.body.value)
      : draft.body.kind === 'raw'
        ? draft.body.payload
        : undefined;
  if (payload !== undefined && draft.content_type !== null) headers['content-type'] = draft.content_type;

  const label = [
    `${route.label} as ${startingCaller}`,
    ...(draft.labels.length === 0 ? ['unchanged'] : draft.labels),
  ].join(' | ');
  const request: FuzzRequest = {
    route,
    service: route.service,
    method: draft.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
    label,
    caller,
    path_ids: draft.segments.flatMap((segment) => segment.ids),
  };
  // fast-check prints counterexamples with this instead of dumping megabyte bodies.
  Object.defineProperty(request, fc.toStringMethod, {
    value: () => `${request.method} ${request.url.slice(0, 200)} :: ${label}`,
    enumerable: false,
  });
  return request;
}

function callerOf(plan: CallerPlan, bank: SeededBank): Caller {
  if (!plan.startsWith('customer:')) return { role: plan as Exclude<Role, 'customer'> };
  const customer = plan.slice('customer:'.length) as CustomerName | 'stranger';
  return {
    role: 'customer',
    customer,
    customer_id: customer === 'stranger' ? '0190a000-0000-7000-8000-0000000000ff' : bank.customers[customer],
  };
}

export function tokenFor(tokens: TestTokens, caller: Caller): string {
  return caller.role === 'customer'
    ? tokens.bearer('customer', {
        client_id: clientIdOf('customer', caller.customer === 'stranger' ? undefined : caller.customer),
        customer_id: caller.customer_id,
      })
    : tokens.bearer(caller.role, { client_id: clientIdOf(caller.role) });
}

/** `fc.oneof` over the entries whose weight is positive. */
function weighted<T>(...entries: Array<{ weight: number; arbitrary: fc.Arbitrary<T> }>): fc.Arbitrary<T> {
  return fc.oneof(...entries.filter((entry) => entry.weight > 0));
}
