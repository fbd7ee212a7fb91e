import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@ledgerline/db';

/** The least a sealer needs of the database: one statement. */
export type SealingDatabase = Pick<Database, '$queryRaw'>;

/**
 * Gives up to `batch_size_max` committed, unsealed audit records their place in the hash chain, oldest
 * id first, and returns how many it sealed (0 also when another sealer holds the chain right now).
 * The work is one call of the database's `audit_records_seal` (see the migration that defines it):
 * one round trip, and the chain is extended under one advisory lock by one sealer at a time.
 */
export async function sealAuditRecords(db: SealingDatabase, batch_size_max = 1_000): Promise<number> {
  assert.ok(Number.isInteger(batch_size_max) && batch_size_max >= 1 && batch_size_max <= 100_000);
  const [row] = await db.$queryRaw<Array<{ sealed: number }>>`
    SELECT audit_records_seal(${batch_size_max}::integer) AS sealed`;
  return row?.sealed ?? 0;
}

export interface AuditSealerLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditSealerOptions {
  db: SealingDatabase;
  /** The pause between rounds once nothing is left to seal: how long a record may stay unsealed. */
  interval_ms: number;
  batch_size_max?: number;
  logger: AuditSealerLogger;
}

export interface AuditSealer {
  /** Ends the loop after its current round. */
  stop(): Promise<void>;
}

/**
 * Seals audit records in the background: full rounds back to back while records are waiting, then one
 * round every `interval_ms`. Any number of processes may run one; the database lets one seal at a time.
 * A failed round (database restarting) is logged and retried after the interval: records wait unsealed
 * meanwhile, they are never lost, because they were committed before the sealer ever saw them.
 */
export function startAuditSealer(options: AuditSealerOptions): AuditSealer {
  assert.ok(options.interval_ms >= 10 && options.interval_ms <= 60_000, 'interval_ms must be 10 to 60,000');
  const batch_size_max = options.batch_size_max ?? 1_000;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let sealed = 0;
      try {
        sealed = await sealAuditRecords(options.db, batch_size_max);
        if (sealed > 0) options.logger.info({ sealed }, 'audit records sealed');
      } catch (error) {
        options.logger.error({ err: error }, 'audit records could not be sealed; retrying');
      }
      if (sealed < batch_size_max) {
        await sleep(options.interval_ms, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
