/**
 * Key rotation for customers' personal data: re-wraps every customer's data key under the active
 * key-encryption key. Field ciphertexts are not touched, so this is one small write per customer.
 *
 * Usage:
 *   DATABASE_URL=postgresql://root@127.0.0.1:5432/ledgerline \
 *   ENCRYPTION_KEYS='k2027:<new key, base64>,k2026:<old key, base64>' \
 *   ENCRYPTION_ACTIVE_KEY_ID=k2027 \
 *   KEY_ROTATION_BATCH_SIZE=500 \
 *   npx tsx tools/scripts/rotate-keys.ts
 *
 * How to rotate a key:
 * 1. Make a key: `npx tsx -e "import('@ledgerline/crypto').then((c) => console.log(c.generateKey()))"`.
 * 2. Deploy accounts-api and compliance-worker (it decrypts customers to screen them) with the new key
 *    added to ENCRYPTION_KEYS and ENCRYPTION_ACTIVE_KEY_ID set to its id; new customers are then written
 *    with it, and old ones still decrypt with the old key.
 * 3. Run this script with the same two variables (there are no defaults here). It works in batches of
 *    KEY_ROTATION_BATCH_SIZE customers (1..1000, default 500), each one short transaction, prints
 *    progress, and is safe to run beside live traffic and to re-run after an interruption.
 * 4. When it reports `remaining on other keys: 0`, remove the old key from ENCRYPTION_KEYS everywhere.
 *
 * Exits 0 when every customer is on the active key, 1 on bad configuration or any failure (a row
 * naming a key that is not in ENCRYPTION_KEYS fails the run and names that key id).
 */
import { rewrapCustomerKeys, REWRAP_BATCH_SIZE_LIMITS } from '@ledgerline/accounts';
import { ConfigError, DatabaseConfigSchema, loadConfig } from '@ledgerline/config';
import { createEnvelopeCipher, KeyringError, parseKeyring } from '@ledgerline/crypto';
import Type from 'typebox';
import { openOperatorDatabase } from './operator-database';

const RotateKeysConfigSchema = Type.Object({
  ...DatabaseConfigSchema.properties,
  ENCRYPTION_KEYS: Type.String({ minLength: 1 }),
  ENCRYPTION_ACTIVE_KEY_ID: Type.String({ minLength: 1, maxLength: 64 }),
  KEY_ROTATION_BATCH_SIZE: Type.Integer({
    minimum: REWRAP_BATCH_SIZE_LIMITS.min,
    maximum: REWRAP_BATCH_SIZE_LIMITS.max,
    default: REWRAP_BATCH_SIZE_LIMITS.default,
  }),
});

async function main(): Promise<number> {
  const config = loadConfig(RotateKeysConfigSchema, process.env);
  const cipher = createEnvelopeCipher({
    keyring: parseKeyring(config.ENCRYPTION_KEYS),
    active_key_id: config.ENCRYPTION_ACTIVE_KEY_ID,
  });
  const db = openOperatorDatabase(config, { application_name: 'ledgerline-rotate-keys', pool_size_max: 2 });
  try {
    const progress = await rewrapCustomerKeys({
      db,
      cipher,
      batch_size: config.KEY_ROTATION_BATCH_SIZE,
      on_batch: ({ rewrapped, batches }) =>
        process.stdout.write(`rotate-keys: batch ${batches}, ${rewrapped} re-wrapped\n`),
    });
    const remaining = await db.customer.count({ where: { keyId: { not: cipher.active_key_id } } });
    process.stdout.write(
      `rotate-keys: done; re-wrapped ${progress.rewrapped} in ${progress.batches} batches; remaining on other keys: ${remaining}\n`,
    );
    // Customers created by an instance still on the old active key may appear during the run; run again.
    return remaining === 0 ? 0 : 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof KeyringError;
    process.stderr.write(
      `rotate-keys: ${known ? (error as Error).message : `failed: ${(error as Error).message}`}\n`,
    );
    process.exit(1);
  },
);
