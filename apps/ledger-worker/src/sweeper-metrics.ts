import { Counter, type Registry } from 'prom-client';
import type { StuckTransferJobKind } from './stuck-transfers';

/** The ledger worker's two safety nets. */
export type SweeperName = 'stuck-transfers' | 'hold-expiry';

/**
 * What the sweepers report. Each count is work a job should have done and did not (a job lost with
 * Redis, failed for good, or never added), so a steady rise is worth a look even when nothing is stuck.
 */
export interface SweeperMetrics {
  /** Jobs the stuck-transfer sweeper added, by the job the transfers waited for. */
  jobsRequeued(by_kind: Readonly<Record<StuckTransferJobKind, number>>): void;
  /** Expired holds the hold-expiry sweeper voided (their delayed job did not). */
  holdsSwept(count: number): void;
  /** A sweep that failed; the next one retries. */
  sweepFailed(sweeper: SweeperName): void;
}

/**
 * The sweepers' metrics on `registry` (the one the worker's operations port serves):
 * `ledgerline_stuck_transfer_jobs_requeued_total{kind}`, `ledgerline_expired_holds_swept_total` and
 * `ledgerline_sweeps_failed_total{sweeper}`. Per process: sum over replicas. One per registry.
 */
export function createSweeperMetrics(registry: Registry): SweeperMetrics {
  const requeued = new Counter({
    name: 'ledgerline_stuck_transfer_jobs_requeued_total',
    help: 'Jobs re-added by the stuck-transfer sweeper for transfers that waited too long, by job kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const swept = new Counter({
    name: 'ledgerline_expired_holds_swept_total',
    help: 'Expired holds voided by the hold-expiry sweeper rather than by their delayed job.',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'ledgerline_sweeps_failed_total',
    help: 'Sweeps that failed; the next sweep retries.',
    labelNames: ['sweeper'] as const,
    registers: [registry],
  });
  return {
    jobsRequeued(by_kind) {
      for (const [kind, count] of Object.entries(by_kind)) if (count > 0) requeued.inc({ kind }, count);
    },
    holdsSwept(count) {
      if (count > 0) swept.inc(count);
    },
    sweepFailed(sweeper) {
      failed.inc({ sweeper });
    },
  };
}
