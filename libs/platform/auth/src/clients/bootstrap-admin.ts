import assert from 'node:assert';
import { newRowId, type Database } from '@ledgerline/db';
import { hashSecret } from './secret-hash';

export interface BootstrapAdminOptions {
  db: Database;
  client_id: string;
  /** At least 32 characters; chosen by the operator, so it is only as strong as they make it. */
  client_secret: string;
}

/**
 * Creates the admin client named in configuration unless a client with that id exists. Safe to run
 * on every start of every instance at once: the insert is `ON CONFLICT DO NOTHING` on the unique
 * client id, so exactly one instance creates it. An existing client is never changed (not even its
 * secret): rotate a secret through the API, not by restarting with a new one.
 *
 * The secret is hashed only when no such client exists yet: every start after the first would
 * otherwise spend a scrypt derivation (about 50 ms and 32 MiB) on a hash it throws away. Instances
 * starting together on an empty table may each hash; the insert still lets one through.
 */
export async function ensureBootstrapAdmin(options: BootstrapAdminOptions): Promise<'created' | 'exists'> {
  assert(
    /^[\x21-\x7e]{1,128}$/.test(options.client_id),
    'bootstrap admin client id must be 1-128 visible ASCII characters',
  );
  assert(options.client_secret.length >= 32, 'bootstrap admin client secret must be at least 32 characters');
  const existing = await options.db.apiClient.findUnique({
    where: { clientId: options.client_id },
    select: { id: true },
  });
  if (existing !== null) return 'exists';
  const { count } = await options.db.apiClient.createMany({
    data: [
      {
        id: newRowId(),
        clientId: options.client_id,
        name: 'Bootstrap admin',
        role: 'admin',
        customerId: null,
        secretHash: await hashSecret(options.client_secret),
      },
    ],
    skipDuplicates: true,
  });
  return count === 1 ? 'created' : 'exists';
}
