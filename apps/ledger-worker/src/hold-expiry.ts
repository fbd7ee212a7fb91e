import type { Database } from '@ledgerline/db';
import type { PostingEngine } from '@ledgerline/ledger';
import type { Logger } from 'pino';
import { createSweepLoop, type SweepLoop } from './sweep-loop';
import type { SweeperMetrics } from './sweeper-metrics';

export interface PendingHold {
  hold_expires_at: Date;
  request_id: string | null;
}

/** The expiry of a transfer that is a pending hold right now, or null. */
export async function findPendingHold(db: Database, transfer_id: string): Promise<PendingHold | null> {
  const [row] = await db.$queryRaw<PendingHold[]>`
    SELECT hold_expires_at, request_id FROM transfers
    WHERE id = ${transfer_id}::uuid AND status = 'pending' AND hold_expires_at IS NOT NULL`;
  return row ?? null;
}

export interface HoldExpirySweeperOptions {
  db: Database;
  engine: PostingEngine;
  interval_ms: number;
  /** The most expired holds one sweep advances (in engine calls of at most the engine's batch size). */
  batch_size_max: number;
  logger: Logger;
  /** Where the sweeper counts the holds it voided and its failed sweeps; none when absent. */
  metrics?: SweeperMetrics;
}

/** Advances expired pending holds (the engine voids them); `sweepOnce` returns how many changed. */
export type HoldExpirySweeper = SweepLoop<number>;

/**
 * The safety net behind the delayed `hold-expiry` jobs: a job lost with Redis, one that fired a moment
 * early, or a hold that became pending while Redis was unreachable is still voided within one interval.
 * Several ledger workers may sweep at once; the engine locks each transfer, so the second finds it done.
 */
export function createHoldExpirySweeper(options: HoldExpirySweeperOptions): HoldExpirySweeper {
  const logger = options.logger.child({ component: 'hold-expiry-sweeper' });

  async function sweepOnce(): Promise<number> {
    // `phase = 'pending'` (the phase of that one status) is the predicate of the partial index of open holds.
    const expired = await options.db.$queryRaw<Array<{ id: string; request_id: string | null }>>`
      SELECT id::text, request_id FROM transfers
      WHERE phase = 'pending' AND status = 'pending' AND hold_expires_at <= now()
      ORDER BY hold_expires_at, id
      LIMIT ${options.batch_size_max}`;
    const request_ids = new Map(expired.map((row) => [row.id, row.request_id ?? 'unknown']));
    let changed = 0;
    for (let start = 0; start < expired.length; start += options.engine.batch_size_max) {
      const ids = expired.slice(start, start + options.engine.batch_size_max).map((row) => row.id);
      for (const result of await options.engine.advance(ids)) {
        if (!result.changed) continue;
        changed += 1;
        logger.info(
          {
            transfer_id: result.transfer_id,
            request_id: request_ids.get(result.transfer_id),
            status: result.status,
            status_reason: result.status_reason,
          },
          'expired hold advanced by the sweeper',
        );
      }
    }
    options.metrics?.holdsSwept(changed);
    return changed;
  }

  return createSweepLoop({
    sweep: sweepOnce,
    interval_ms: options.interval_ms,
    logger,
    failure_message: 'hold expiry sweep failed; the next sweep retries',
    on_failure: () => options.metrics?.sweepFailed('hold-expiry'),
  });
}
