import { createEnvelopeCipher, generateKey, parseKeyring } from '@ledgerline/crypto';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessScopeFor, ALL_ACCESS } from '../access/access-scope';
import { createCustomerService, type CustomerService } from './customer.service';
import { isValidDateOfBirth } from './customer.validation';

let database: TestDatabase;
let customers: CustomerService;

beforeAll(async () => {
  database = await createTestDatabase();
  const cipher = createEnvelopeCipher({ keyring: parseKeyring(`k1:${generateKey()}`), active_key_id: 'k1' });
  customers = createCustomerService({ db: database.db, cipher });
});
afterAll(() => database.drop());

const ADA = {
  full_name: 'Ada Lovelace',
  email: 'ada@example.com',
  country: 'GB',
  date_of_birth: '1815-12-10',
};

describe('create and get', () => {
  it('round-trips personal data and starts with a clear sanctions status', async () => {
    const created = await customers.create({ ...ADA, date_of_birth: '1985-12-10' });
    expect(created).toMatchObject({
      ok: true,
      value: {
        full_name: 'Ada Lovelace',
        email: 'ada@example.com',
        country: 'GB',
        date_of_birth: '1985-12-10',
        sanctions_status: 'clear',
      },
    });
    if (!created.ok) return;
    expect(await customers.get(created.value.id, ALL_ACCESS)).toEqual(created.value);
  });

  it('keeps optional fields null', async () => {
    const created = await customers.create({ full_name: 'Grace Hopper', country: 'US' });
    expect(created).toMatchObject({ ok: true, value: { email: null, date_of_birth: null } });
  });

  it('stores no plaintext personal data', async () => {
    const created = await customers.create({
      full_name: 'Émilie du Châtelet',
      email: 'emilie@example.fr',
      country: 'FR',
      date_of_birth: '1976-12-17',
    });
    if (!created.ok) throw new Error(created.error);
    const { rows } = await database.pool.query(`SELECT * FROM customers WHERE id = $1`, [created.value.id]);
    const row = rows[0] as Record<string, unknown>;
    for (const secret of ['Émilie', 'Châtelet', 'emilie@example.fr', 'example.fr', '1976-12-17']) {
      const needle = Buffer.from(secret, 'utf8');
      for (const [column, value] of Object.entries(row)) {
        const haystack = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
        expect(haystack.includes(needle), `${column} contains ${secret}`).toBe(false);
      }
    }
    expect(rows[0].key_id).toBe('k1');
  });

  it('rejects malformed input with typed errors', async () => {
    const cases: Array<[Parameters<CustomerService['create']>[0], string]> = [
      [{ ...ADA, full_name: '   ' }, 'invalid_full_name'],
      [{ ...ADA, full_name: 'x'.repeat(201) }, 'invalid_full_name'],
      [{ ...ADA, full_name: 'Ada\u0000' }, 'invalid_full_name'],
      [{ ...ADA, email: 'not-an-email' }, 'invalid_email'],
      [{ ...ADA, email: 'a b@example.com' }, 'invalid_email'],
      [{ ...ADA, country: 'gb' }, 'invalid_country'],
      [{ ...ADA, country: 'GBR' }, 'invalid_country'],
      [{ ...ADA, date_of_birth: '1985-02-30' }, 'invalid_date_of_birth'],
      [{ ...ADA, date_of_birth: '1815-12-10' }, 'invalid_date_of_birth'],
      [{ ...ADA, date_of_birth: '3000-01-01' }, 'invalid_date_of_birth'],
    ];
    for (const [input, error] of cases) {
      expect(await customers.create(input), JSON.stringify(input)).toMatchObject({ ok: false, error });
    }
  });

  it('shows a customer principal only itself', async () => {
    const created = await customers.create({ full_name: 'Alan Turing', country: 'GB' });
    if (!created.ok) throw new Error(created.error);
    const own = accessScopeFor({ role: 'customer', customer_id: created.value.id });
    const other = accessScopeFor({ role: 'customer', customer_id: uuidv7() });
    expect(await customers.get(created.value.id, own)).toEqual(created.value);
    expect(await customers.get(created.value.id, other)).toBeNull();
    expect(await customers.get(created.value.id, { kind: 'none' })).toBeNull();
    expect(await customers.get('not-a-uuid', ALL_ACCESS)).toBeNull();
    expect(await customers.get(uuidv7(), ALL_ACCESS)).toBeNull();
  });
});

describe('screening on creation', () => {
  it("queues the new customer's sanctions screening in the same transaction", async () => {
    const created = await customers.create(
      { full_name: 'Lise Meitner', country: 'AT' },
      { request_id: 'req-create-1' },
    );
    if (!created.ok) throw new Error(created.error);
    const { rows } = await database.pool.query(
      `SELECT queue, job_name, job_id, payload, request_id FROM outbox_messages WHERE job_id = $1`,
      [`screen-customer-${created.value.id}`],
    );
    expect(rows).toEqual([
      {
        queue: 'sanctions',
        job_name: 'screen-customer',
        job_id: `screen-customer-${created.value.id}`,
        payload: { customer_id: created.value.id, request_id: 'req-create-1' },
        request_id: 'req-create-1',
      },
    ]);
  });

  it('queues nothing for a customer it refuses', async () => {
    const before = await database.pool.query(`SELECT count(*)::int AS n FROM outbox_messages`);
    expect(await customers.create({ full_name: ' ', country: 'AT' })).toMatchObject({ ok: false });
    const after = await database.pool.query(`SELECT count(*)::int AS n FROM outbox_messages`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});

describe('setSanctionsStatus', () => {
  it('records the screening outcome', async () => {
    const created = await customers.create({ full_name: 'Kurt Gödel', country: 'AT' });
    if (!created.ok) throw new Error(created.error);
    expect(await customers.setSanctionsStatus(created.value.id, 'potential_match')).toMatchObject({
      ok: true,
      value: { sanctions_status: 'potential_match', full_name: 'Kurt Gödel' },
    });
    expect(await customers.setSanctionsStatus(uuidv7(), 'clear')).toMatchObject({
      ok: false,
      error: 'not_found',
    });
  });
});

describe('isValidDateOfBirth', () => {
  it('accepts real past dates only', () => {
    const today = new Date('2026-06-15T12:00:00Z');
    expect(isValidDateOfBirth('2000-02-29', today)).toBe(true);
    expect(isValidDateOfBirth('2026-06-15', today)).toBe(true);
    expect(isValidDateOfBirth('2026-06-16', today)).toBe(false);
    expect(isValidDateOfBirth('2001-02-29', today)).toBe(false);
    expect(isValidDateOfBirth('1899-12-31', today)).toBe(false);
    expect(isValidDateOfBirth('2000-1-01', today)).toBe(false);
  });
});
