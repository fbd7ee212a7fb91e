import { newUuidV7 } from '@ledgerline/crypto';

/**
 * A new UUIDv7 primary key, increasing within this process: time-ordered, so new rows land at the right
 * edge of the primary-key index and keyset pagination by id is by time (see `createUuidV7Source`).
 */
export function newRowId(): string {
  return newUuidV7();
}
