import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Every secret check is a deliberately slow scrypt (tens of milliseconds, far more on a busy CI host).
import { createApiClientService, disableApiClient, type ApiClientService } from './api-client-service';
import { ensureBootstrapAdmin } from './bootstrap-admin';
import { watchDisabledClients } from './disabled-clients';

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
    const { rows } = await database.pool.query<{ secret_hash: string }>(
      'SELECT secret_hash FROM api_clients WHERE client_id = $1',
      [created.client.client_id],
    );
    expect(rows[0]!.secret_hash).toMatch(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(rows[0]!.secret_hash).not.toContain(created.client.client_secret);
    await expect(
      clients.authenticate(created.client.client_id, created.client.client_secret),
    ).resolves.toEqual({
      client_id: created.client.client_id,
      role: 'service',
      customer_id: null,
    });
  });

  it('refuses wrong secrets, unknown clients and disabled clients', async () => {
    const created = await clients.create({ name: 'Ops console', role: 'operator', customer_id: null });
    if (!created.ok) throw new Error('expected a client');
    await expect(
      clients.authenticate(created.client.client_id, `${created.client.client_secret}x`),
    ).resolves.toBeNull();
    await expect(clients.authenticate('no-such-client', created.client.client_secret)).resolves.toBeNull();
    await database.pool.query('UPDATE api_clients SET disabled_at = now() WHERE client_id = $1', [
      created.client.client_id,
    ]);
    await expect(
      clients.authenticate(created.client.client_id, created.client.client_secret),
    ).resolves.toBeNull();
  });

  it('binds customer clients to an existing customer and no other role to any', async () => {
    const customer_id = await insertCustomer(database.pool);
    const created = await clients.create({ name: 'Mobile app', role: 'customer', customer_id });
    expect(created).toMatchObject({ ok: true, client: { role: 'customer', customer_id } });
    await expect(clients.create({ name: 'x', role: 'customer', customer_id: uuidv7() })).resolves.toEqual({
      ok: false,
      error: 'customer_not_found',
    });
    await expect(clients.create({ name: 'x', role: 'customer', customer_id: null })).resolves.toEqual({
      ok: false,
      error: 'customer_binding_invalid',
    });
    await expect(clients.create({ name: 'x', role: 'admin', customer_id })).resolves.toEqual({
      ok: false,
      error: 'customer_binding_invalid',
    });
  });
});

describe('ensureBootstrapAdmin', { timeout: 60_000 }, () => {
  it('creates the admin once, even when instances start at the same time', async () => {
    const options = {
      db: database.db,
      client_id: 'bootstrap-admin',
      client_secret: 'bootstrap-secret-of-at-least-32-characters',
    };
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => ensureBootstrapAdmin(options)));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    await expect(ensureBootstrapAdmin(options)).resolves.toBe('exists');
    const { rows } = await database.pool.query('SELECT role FROM api_clients WHERE client_id = $1', [
      'bootstrap-admin',
    ]);
    expect(rows).toEqual([{ role: 'admin' }]);
    await expect(clients.authenticate('bootstrap-admin', options.client_secret)).resolves.toMatchObject({
      role: 'admin',
    });
  });

  it('never changes an existing client', async () => {
    const options = {
      db: database.db,
      client_id: 'bootstrap-admin',
      client_secret: 'a-different-secret-of-at-least-32-chars',
    };
    await expect(ensureBootstrapAdmin(options)).resolves.toBe('exists');
    await expect(clients.authenticate('bootstrap-admin', options.client_secret)).resolves.toBeNull();
  });

  it('refuses a short secret', async () => {
    await expect(
      ensureBootstrapAdmin({ db: database.db, client_id: 'admin-2', client_secret: 'short' }),
    ).rejects.toThrowError(/at least 32/);
  });
});

async function newServiceClient(name: string) {
  const created = await clients.create({ name, role: 'service', customer_id: null });
  if (!created.ok) throw new Error('expected a client');
  return created.client;
}

/** Until `check` holds, as a scheduled read of the watcher makes it. */
const eventually = (check: () => boolean) =>
  vi.waitFor(() => expect(check()).toBe(true), { timeout: 10_000, interval: 10 });

describe('disableApiClient and watchDisabledClients', { timeout: 60_000 }, () => {
  it('disables a client once, leaves the others alone, and the watcher sees it on its next read', async () => {
    const leaked = await newServiceClient('Leaked backend');
    const other = await newServiceClient('Other backend');
    const watcher = watchDisabledClients({ db: database.db, refresh_ms: 20 });
    try {
      await watcher.start();
      expect(watcher.has(leaked.client_id)).toBe(false);

      await expect(disableApiClient(database.db, leaked.client_id)).resolves.toBe('disabled');
      await eventually(() => watcher.has(leaked.client_id));
      expect(watcher.has(other.client_id)).toBe(false);
      // The secret no longer buys a token either.
      await expect(clients.authenticate(leaked.client_id, leaked.client_secret)).resolves.toBeNull();
      await expect(clients.authenticate(other.client_id, other.client_secret)).resolves.not.toBeNull();

      const { rows } = await database.pool.query<{ disabled_at: Date }>(
        'SELECT disabled_at FROM api_clients WHERE client_id = $1',
        [leaked.client_id],
      );
      const first = rows[0]?.disabled_at;
      await expect(disableApiClient(database.db, leaked.client_id)).resolves.toBe('already_disabled');
      const again = await database.pool.query<{ disabled_at: Date }>(
        'SELECT disabled_at FROM api_clients WHERE client_id = $1',
        [leaked.client_id],
      );
      expect(again.rows[0]?.disabled_at).toEqual(first);
      await expect(disableApiClient(database.db, 'no-such-client')).resolves.toBe('not_found');
    } finally {
      watcher.stop();
    }
  });

  it('knows the list once start has resolved, and start resolves, not knowing it, when the first read fails', async () => {
    const disabledEarlier = await newServiceClient('Disabled earlier');
    await disableApiClient(database.db, disabledEarlier.client_id);
    const watcher = watchDisabledClients({ db: database.db, refresh_ms: 600_000 });
    try {
      expect(watcher.isKnown()).toBe(false);
      await watcher.start();
      expect(watcher.isKnown()).toBe(true);
      expect(watcher.has(disabledEarlier.client_id)).toBe(true);
    } finally {
      watcher.stop();
    }

    const failures: unknown[] = [];
    const scratch = await createTestDatabase();
    await scratch.drop();
    const blind = watchDisabledClients({
      db: scratch.db,
      refresh_ms: 600_000,
      on_refresh_failed: (error) => failures.push(error),
    });
    try {
      await expect(blind.start()).resolves.toBeUndefined();
      expect(failures).toHaveLength(1);
      // Not an empty list: the plugin must not take every client for enabled.
      expect(blind.isKnown()).toBe(false);
    } finally {
      blind.stop();
    }
  });

  it('keeps the last list when a read fails (the database went away), and says so', async () => {
    const failures: unknown[] = [];
    const scratch = await createTestDatabase();
    const watcher = watchDisabledClients({
      db: scratch.db,
      refresh_ms: 20,
      on_refresh_failed: (error) => failures.push(error),
    });
    watcher.start();
    try {
      await scratch.pool.query(
        `INSERT INTO api_clients (id, client_id, name, role, secret_hash, disabled_at)
         VALUES (gen_random_uuid(), 'gone', 'gone', 'service', 'x', now())`,
      );
      await eventually(() => watcher.has('gone'));
      await scratch.drop();
      await eventually(() => failures.length > 0);
      expect(watcher.has('gone')).toBe(true);
    } finally {
      watcher.stop();
    }
  });
});
