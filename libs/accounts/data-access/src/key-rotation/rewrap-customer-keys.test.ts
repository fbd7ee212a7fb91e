import { createEnvelopeCipher, generateKey, parseKeyring, UnknownKeyError } from '@ledgerline/crypto';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ACCESS } from '../access/access-scope';
import { createCustomerService } from '../customer/customer.service';
import { rewrapCustomerKeys } from './rewrap-customer-keys';

let database: TestDatabase;
const oldKey = `old:${generateKey()}`;
const newKey = `new:${generateKey()}`;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function storedRows() {
  const { rows } = await database.pool.query(
    `SELECT id, key_id, wrapped_data_key, full_name_ciphertext, email_ciphertext, date_of_birth_ciphertext FROM customers ORDER BY id`,
  );
  return rows as Array<{
    id: string;
    key_id: string;
    wrapped_data_key: Buffer;
    full_name_ciphertext: Buffer;
    email_ciphertext: Buffer | null;
  }>;
}

describe('rewrapCustomerKeys', () => {
  it('moves every customer to the active key without touching field ciphertexts', async () => {
    const before = createEnvelopeCipher({ keyring: parseKeyring(oldKey), active_key_id: 'old' });
    const writer = createCustomerService({ db: database.db, cipher: before });
    const created = [];
    for (let index = 0; index < 7; index += 1) {
      const result = await writer.create({
        full_name: `Customer ${index}`,
        email: `c${index}@example.com`,
        country: 'DE',
      });
      if (!result.ok) throw new Error(result.error);
      created.push(result.value);
    }
    const rowsBefore = await storedRows();

    // Rotation: the new key is active, the old one still readable.
    const rotating = createEnvelopeCipher({
      keyring: parseKeyring(`${newKey},${oldKey}`),
      active_key_id: 'new',
    });
    const seen: number[] = [];
    const progress = await rewrapCustomerKeys({
      db: database.db,
      cipher: rotating,
      batch_size: 3,
      on_batch: ({ rewrapped }) => seen.push(rewrapped),
    });
    expect(progress).toEqual({ rewrapped: 7, batches: 3 });
    expect(seen).toEqual([3, 6, 7]);

    const rowsAfter = await storedRows();
    rowsAfter.forEach((row, index) => {
      const previous = rowsBefore[index]!;
      expect(row.key_id).toBe('new');
      expect(row.wrapped_data_key.equals(previous.wrapped_data_key)).toBe(false);
      expect(row.full_name_ciphertext.equals(previous.full_name_ciphertext)).toBe(true);
      expect(row.email_ciphertext?.equals(previous.email_ciphertext!)).toBe(true);
    });

    // The old key is retired: everything still decrypts with the new key alone.
    const after = createEnvelopeCipher({ keyring: parseKeyring(newKey), active_key_id: 'new' });
    const reader = createCustomerService({ db: database.db, cipher: after });
    for (const customer of created) expect(await reader.get(customer.id, ALL_ACCESS)).toEqual(customer);

    // A second run finds nothing left to do.
    expect(await rewrapCustomerKeys({ db: database.db, cipher: rotating, batch_size: 3 })).toEqual({
      rewrapped: 0,
      batches: 0,
    });
  });

  it('fails loudly when a row names a key the keyring does not hold', async () => {
    const stray = createEnvelopeCipher({
      keyring: parseKeyring(`stray:${generateKey()}`),
      active_key_id: 'stray',
    });
    await createCustomerService({ db: database.db, cipher: stray }).create({
      full_name: 'Stray',
      country: 'NL',
    });
    const cipher = createEnvelopeCipher({ keyring: parseKeyring(newKey), active_key_id: 'new' });
    await expect(rewrapCustomerKeys({ db: database.db, cipher, batch_size: 10 })).rejects.toBeInstanceOf(
      UnknownKeyError,
    );
  });

  it('bounds the batch size', async () => {
    const cipher = createEnvelopeCipher({ keyring: parseKeyring(newKey), active_key_id: 'new' });
    await expect(rewrapCustomerKeys({ db: database.db, cipher, batch_size: 0 })).rejects.toThrow(
      /batch_size/,
    );
    await expect(rewrapCustomerKeys({ db: database.db, cipher, batch_size: 1001 })).rejects.toThrow(
      /batch_size/,
    );
  });
});
