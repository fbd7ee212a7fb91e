import assert from 'node:assert/strict';
import type { EnvelopeCipher } from '@ledgerline/crypto';
import type { Database } from '@ledgerline/db';

/** Bounds on one rotation batch: each batch is one short transaction. */
export const REWRAP_BATCH_SIZE_LIMITS = Object.freeze({ min: 1, max: 1000, default: 500 });

export interface RewrapCustomerKeysOptions {
  db: Database;
  /** Its keyring must hold the active key and every key still named by a customer row. */
  cipher: EnvelopeCipher;
  /** Customers per batch (1..1000). */
  batch_size: number;
  /** Called after each committed batch, e.g. to print progress. */
  on_batch?: (progress: RewrapProgress) => void;
}

export interface RewrapProgress {
  /** Customers re-wrapped so far. */
  rewrapped: number;
  batches: number;
}

/**
 * Key rotation: re-wraps every customer's data key under the cipher's active key id, in bounded
 * batches, leaving the field ciphertexts untouched. Once it returns, no customer row names an older
 * key, so the older key can be removed from the keyring.
 *
 * Safe to re-run and to run beside live traffic: rows already on the active key are skipped, each
 * batch is one transaction, and each update applies only if the row still has the key id that was
 * read (a concurrent run's write is never overwritten with a stale one). Walking the primary key in
 * order means a run reads every row at most once.
 */
export async function rewrapCustomerKeys(options: RewrapCustomerKeysOptions): Promise<RewrapProgress> {
  const { db, cipher, batch_size } = options;
  assert.ok(
    Number.isInteger(batch_size) &&
      batch_size >= REWRAP_BATCH_SIZE_LIMITS.min &&
      batch_size <= REWRAP_BATCH_SIZE_LIMITS.max,
    `rewrapCustomerKeys: batch_size must be ${REWRAP_BATCH_SIZE_LIMITS.min}..${REWRAP_BATCH_SIZE_LIMITS.max}`,
  );
  const activeKeyId = cipher.active_key_id;
  const progress: RewrapProgress = { rewrapped: 0, batches: 0 };
  let afterId: string | undefined;
  for (;;) {
    const rows = await db.customer.findMany({
      where: { keyId: { not: activeKeyId }, ...(afterId !== undefined ? { id: { gt: afterId } } : {}) },
      select: { id: true, keyId: true, wrappedDataKey: true },
      orderBy: { id: 'asc' },
      take: batch_size,
    });
    const last = rows.at(-1);
    if (last === undefined) return progress;
    afterId = last.id;

    const updates = rows.map((row) => {
      const rewrapped = cipher.rewrapDataKey({ key_id: row.keyId, wrapped_data_key: row.wrappedDataKey });
      return db.customer.updateMany({
        where: { id: row.id, keyId: row.keyId },
        data: { keyId: rewrapped.key_id, wrappedDataKey: new Uint8Array(rewrapped.wrapped_data_key) },
      });
    });
    const results = await db.$transaction(updates);
    progress.rewrapped += results.reduce((sum, result) => sum + result.count, 0);
    progress.batches += 1;
    options.on_batch?.({ ...progress });
  }
}
