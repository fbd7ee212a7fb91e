import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every secret check is a deliberately slow scrypt (tens of milliseconds, far more on a busy CI host).
import { createApiClientService, type ApiClientService } from './api-client-service';
import { ensureBootstrapAdmin } from './bootstrap-admin';

let database: TestDatabase;
let clients: ApiClientService;

beforeAll(async () => {
  database = await createTestDatabase();
  clients = createApiClientService({ db: database.db });
});

afterAll(async () => {
  await database.drop();
});

/** Inserts a customer row directly; the accounts library owns how customers are really created. */
async function insertCustomer(pool: TestDatabase['pool']): Promise<string> {
  const id = uuidv7();
  await pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, '\\x00', '\\x00', 'test', 'US')`,
    [id],
  );
  return id;
}

describe('createApiClientService', { timeout: 60_000 }, () => {
  it('creates a client whose secret authenticates and is stored only as a scrypt hash', async () => {
    const created = await clients.create({ name: 'Bank backend', role: 'service', customer_id: null });
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { rows } = await database.pool.query<{ secret_hash: string }>('SELECT secret_hash FROM api_clients WHERE client_id = $1', [created.client.client_id]);
    expect(rows[0]!.secret_hash).toMatch(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(rows[0]!.secret_hash).not.toContain(created.client.client_secret);
    await expect(clients.authenticate(created.client.client_id, created.client.client_secret)).resolves.toEqual({
      client_id: created.client.client_id,
      role: 'service',
      customer_id: null,
    });
  });

  it('refuses wrong secrets, unknown clients and disabled clients', async () => {
    const created = await clients.create({ name: 'Ops console', role: 'operator', customer_id: null });
    if (!created.ok) throw new Error('expected a client');
    await expect(clients.authenticate(created.client.client_id, `${created.client.client_secret}x`)).resolves.toBeNull();
    await expect(clients.authenticate('no-such-client', created.client.client_secret)).resolves.toBeNull();
    await database.pool.query('UPDATE api_clients SET disabled_at = now() WHERE client_id = $1', [created.client.client_id]);
    await expect(clients.authenticate(created.client.client_id, created.client.client_secret)).resolves.toBeNull();
  });

  it('binds customer clients to an existing customer and no other role to any', async () => {
    const customer_id = await insertCustomer(database.pool);
    const created = await clients.create({ name: 'Mobile app', role: 'customer', customer_id });
    expect(created).toMatchObject({ ok: true, client: { role: 'customer', customer_id } });
    await expect(clients.create({ name: 'x', role: 'customer', customer_id: uuidv7() })).resolves.toEqual({ ok: false, error: 'customer_not_found' });
    await expect(clients.create({ name: 'x', role: 'customer', customer_id: null })).resolves.toEqual({ ok: false, error: 'customer_binding_invalid' });
    await expect(clients.create({ name: 'x', role: 'admin', customer_id })).resolves.toEqual({ ok: false, error: 'customer_binding_invalid' });
  });
});

describe('ensureBootstrapAdmin', { timeout: 60_000 }, () => {
  it('creates the admin once, even when instances start at the same time', async () => {
    const options = { db: database.db, client_id: 'bootstrap-admin', client_secret: 'bootstrap-secret-of-at-least-32-characters' };
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => ensureBootstrapAdmin(options)));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    await expect(ensureBootstrapAdmin(options)).resolves.toBe('exists');
    const { rows } = await database.pool.query('SELECT role FROM api_clients WHERE client_id = $1', ['bootstrap-admin']);
    expect(rows).toEqual([{ role: 'admin' }]);
    await expect(clients.authenticate('bootstrap-admin', options.client_secret)).resolves.toMatchObject({ role: 'admin' });
  });

  it('never changes an existing client', async () => {
    const options = { db: database.db, client_id: 'bootstrap-admin', client_secret: 'a-different-secret-of-at-least-32-chars' };
    await expect(ensureBootstrapAdmin(options)).resolves.toBe('exists');
    await expect(clients.authenticate('bootstrap-admin', options.client_secret)).resolves.toBeNull();
  });

  it('refuses a short secret', async () => {
    await expect(ensureBootstrapAdmin({ db: database.db, client_id: 'admin-2', client_secret: 'short' })).rejects.toThrowError(/at least 32/);
  });
});
