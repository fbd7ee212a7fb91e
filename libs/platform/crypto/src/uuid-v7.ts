import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Random bytes drawn per refill: 256 ids' worth. */
const POOL_BYTES = 16 * 256;
const SEQ_MAX = 0x7fffffff;

/**
 * A source of UUIDv7 ids (row ids, request ids), as `uuid`'s own `v7()` makes them (48-bit millisecond timestamp, then a
 * 31-bit counter seeded at random each millisecond and incremented within it, then random bits), so
 * that ids from one process are strictly increasing and new rows land at the right edge of the
 * primary-key index.
 *
 * Why not `v7()` itself: it calls `crypto.getRandomValues` for 16 bytes on every id, which costs about
 * 3 µs here against 0.2 µs for this pooled draw; the ledger makes two ids per posting, and that call
 * alone was 5% of the posting engine's CPU (and 5% of a balance read's, for the request id of a request
 * that came without one). The bytes come from the same cryptographic generator
 * (`randomFillSync`), 4 KB at a time, and none is used twice.
 */
export interface UuidV7Source {
  next(): string;
}

export function createUuidV7Source(clock: () => number = Date.now): UuidV7Source {
  const pool = new Uint8Array(POOL_BYTES);
  let offset = POOL_BYTES;
  let msecs = -Infinity;
  let seq = 0;

  function randomBytes(): Uint8Array {
    if (offset === POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const bytes = pool.subarray(offset, offset + 16);
    offset += 16;
    return bytes;
  }

  return {
    next() {
      const random = randomBytes();
      const now = clock();
      if (now > msecs) {
        // A fresh counter each millisecond, from the random bytes as `uuid` seeds it: 31 bits, so
        // increments within the millisecond have room before they carry into the timestamp.
        msecs = now;
        seq =
          (((random[6] ?? 0) & 0x7f) << 24) |
          ((random[7] ?? 0) << 16) |
          ((random[8] ?? 0) << 8) |
          (random[9] ?? 0);
      } else if (seq === SEQ_MAX) {
        // The counter ran out within one millisecond (or the clock stepped back): borrow the next
        // millisecond, as `uuid` does, rather than repeat or go backwards.
        msecs += 1;
        seq = 0;
      } else {
        seq += 1;
      }
      return uuidv7({ msecs, seq, random });
    },
  };
}

const processIds = createUuidV7Source();

/** A new UUIDv7, increasing within this process (see {@link createUuidV7Source}). */
export function newUuidV7(): string {
  return processIds.next();
}
