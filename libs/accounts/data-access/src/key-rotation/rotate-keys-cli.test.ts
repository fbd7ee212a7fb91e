import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createEnvelopeCipher, generateKey, parseKeyring } from '@ledgerline/crypto';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ACCESS } from '../access/access-scope';
import { createCustomerService } from '../customer/customer.service';

/** The operator's path through key rotation: tools/scripts/rotate-keys.ts run as a process. */
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../../../..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
const script = path.join(root, 'tools/scripts/rotate-keys.ts');

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

// Starting the script compiles its import graph with tsx: seconds alone, much longer while the rest
// of the suite runs in parallel.
const PROCESS_TIMEOUT_MS = 110_000;
const TEST_TIMEOUT_MS = 120_000;

function rotate(env: Record<string, string>) {
  // Only the variables given: nothing from the test run's own environment leaks into the script.
  return run(process.execPath, [tsx, script], { cwd: root, env, timeout: PROCESS_TIMEOUT_MS });
}

describe('rotate-keys CLI', () => {
  it(
    're-wraps every customer so the old key can be removed',
    async () => {
      const oldKey = `k2026:${generateKey()}`;
      const newKey = `k2027:${generateKey()}`;
      const customers = createCustomerService({
        db: database.db,
        cipher: createEnvelopeCipher({ keyring: parseKeyring(oldKey), active_key_id: 'k2026' }),
      });
      const created = await customers.create({
        full_name: 'Rosalind Franklin',
        email: 'rf@example.com',
        country: 'GB',
      });
      if (!created.ok) throw new Error(created.error);

      const { stdout } = await rotate({
        DATABASE_URL: database.url,
        ENCRYPTION_KEYS: `${newKey},${oldKey}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'k2027',
        KEY_ROTATION_BATCH_SIZE: '2',
      });
      expect(stdout).toMatch(/re-wrapped 1 in 1 batches; remaining on other keys: 0/);

      const rotated = createCustomerService({
        db: database.db,
        cipher: createEnvelopeCipher({ keyring: parseKeyring(newKey), active_key_id: 'k2027' }),
      });
      expect(await rotated.get(created.value.id, ALL_ACCESS)).toEqual(created.value);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails with one line and exit code 1 on bad configuration, never echoing keys',
    async () => {
      const secret = generateKey();
      const failure = await rotate({
        DATABASE_URL: database.url,
        ENCRYPTION_KEYS: `k1:${secret}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'k9',
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr.trim().split('\n')).toHaveLength(1);
      expect(failure?.stderr).toMatch(/^rotate-keys: Invalid keyring: the active key id "k9"/);
      expect(failure?.stderr).not.toContain(secret);
    },
    TEST_TIMEOUT_MS,
  );
});
