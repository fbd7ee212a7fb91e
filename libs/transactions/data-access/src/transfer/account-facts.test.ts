import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { seedAccount, seedCustomer } from '../testing/seed';
import {
  cachedAccountFacts,
  readAccountFacts,
  sharedAccountFacts,
  type AccountFactsReader,
} from './account-facts';

let database: TestDatabase;
let customer: string;

beforeAll(async () => {
  database = await createTestDatabase();
  customer = await seedCustomer(database.pool);
});

afterAll(async () => {
  await database.drop();
});

/** The real reader, counting the ids it had to read from the database. */
function countingReader(): { read: AccountFactsReader; idsRead: string[] } {
  const idsRead: string[] = [];
  return {
    idsRead,
    read: async (ids) => {
      idsRead.push(...ids);
      return readAccountFacts(database.db, ids);
    },
  };
}

describe('account facts', () => {
  it('reads owner and kind; unknown ids are absent', async () => {
    const account = await seedAccount(database.pool, { customer_id: customer });
    const unknown = uuidv7();
    const facts = await readAccountFacts(database.db, [account, unknown, account]);
    expect([...facts.values()]).toEqual([{ id: account, customer_id: customer, kind: 'checking' }]);
  });

  it('are read once per found account, whatever the case of the id; missing ones every time', async () => {
    const account = await seedAccount(database.pool, { customer_id: customer });
    const unknown = uuidv7();
    const { read, idsRead } = countingReader();
    const facts = cachedAccountFacts(read);
    expect((await facts([account, unknown])).get(account)?.customer_id).toBe(customer);
    expect((await facts([account.toUpperCase()])).get(account)?.customer_id).toBe(customer);
    expect((await facts([account, unknown])).has(unknown)).toBe(false);
    expect(idsRead).toEqual([account, unknown, unknown]);
  });

  it('find an account opened after it was first missed', async () => {
    const { read } = countingReader();
    const facts = cachedAccountFacts(read);
    const id = uuidv7();
    expect((await facts([id])).size).toBe(0);
    await database.pool.query(
      `INSERT INTO accounts (id, customer_id, currency, kind) VALUES ($1, $2, 'USD', 'savings')`,
      [id, customer],
    );
    expect((await facts([id])).get(id)?.kind).toBe('savings');
  });

  it('forget the oldest account past their capacity', async () => {
    const first = await seedAccount(database.pool, { customer_id: customer });
    const second = await seedAccount(database.pool, { customer_id: customer });
    const { read, idsRead } = countingReader();
    const facts = cachedAccountFacts(read, 1);
    await facts([first]);
    await facts([second]);
    await facts([second]);
    await facts([first]);
    expect(idsRead).toEqual([first, second, first]);
  });

  it('of concurrent lookups are read in one statement, each caller getting its own accounts', async () => {
    const [a, b, c] = await Promise.all(
      [1, 2, 3].map(() => seedAccount(database.pool, { customer_id: customer })),
    );
    let statements = 0;
    const counted = {
      $queryRaw: ((...args: Parameters<typeof database.db.$queryRaw>) => {
        statements += 1;
        return database.db.$queryRaw(...args);
      }) as typeof database.db.$queryRaw,
    };
    const facts = sharedAccountFacts(counted);
    const unknown = uuidv7();
    const [first, second, third] = await Promise.all([
      facts([a!, b!]),
      facts([b!.toUpperCase(), unknown]),
      // Not a UUID: names no account, and must not fail the statement the others share.
      facts([c!, 'not-a-uuid']),
    ]);
    expect(statements).toBe(1);
    expect([...first.keys()].sort()).toEqual([a, b].sort());
    expect([...second.keys()]).toEqual([b]);
    expect([...third.keys()]).toEqual([c]);
    expect(third.get(c!)).toEqual({ id: c, customer_id: customer, kind: 'checking' });
  });
});
