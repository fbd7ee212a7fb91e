import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';

/** scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, ~50 ms): OWASP's recommended floor for scrypt. */
const COST_LOG2 = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Upper bounds accepted from a stored hash, so a corrupted row cannot make verification use gigabytes. */
const COST_LOG2_MAX = 20;

/**
 * Derivations one process runs at once; the others wait their turn. Each holds 128 x N x r bytes
 * (32 MiB here) outside the JS heap for its ~50 ms, and libuv runs four at a time: a burst of logins
 * took a process from 78 to 206 MB of resident memory with four (111 MB with one, 142 with two). Two
 * keep a login burst within 64 MiB, at about 40 derivations a second per process, while a client logs
 * in once per token lifetime (15 minutes).
 */
export const DERIVATIONS_AT_ONCE = 2;
const derivationSlots = pLimit(DERIVATIONS_AT_ONCE);

function derive(
  secret: string,
  salt: Buffer,
  options: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>,
  key_bytes: number,
): Promise<Buffer> {
  return derivationSlots(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(secret, salt, key_bytes, { ...options, maxmem: 256 * options.N * options.r }, (error, key) =>
          error ? reject(error) : resolve(key),
        );
      }),
  );
}

/** Derivations running now and waiting for a slot: what a test or a metric can read. */
export function derivationsInFlight(): { running: number; waiting: number } {
  return { running: derivationSlots.activeCount, waiting: derivationSlots.pendingCount };
}

/** A fresh client secret: 32 random bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Hashes a secret for storage as `scrypt$ln=15,r=8,p=1$<salt>$<key>` (base64url), so the parameters
 * travel with the hash and can be raised later without invalidating stored secrets.
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, { N: 2 ** COST_LOG2, r: BLOCK_SIZE, p: PARALLELISM }, KEY_BYTES);
  return `scrypt$ln=${COST_LOG2},r=${BLOCK_SIZE},p=${PARALLELISM}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a secret against a stored hash in constant time. A malformed hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const match = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(
    stored,
  );
  if (match === null) return false;
  const [, ln, r, p, salt, key] = match as unknown as [string, string, string, string, string, string];
  if (Number(ln) > COST_LOG2_MAX || Number(r) < 1 || Number(p) < 1) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(
    secret,
    Buffer.from(salt, 'base64url'),
    { N: 2 ** Number(ln), r: Number(r), p: Number(p) },
    expected.length,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
