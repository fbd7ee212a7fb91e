import { createBatchMetrics } from '@ledgerline/batching';
import type { Database } from '@ledgerline/db';
import type { ServiceApp } from '@ledgerline/http';
import { buildApiApp, type ApiAppOptions } from '@ledgerline/service';
import {
  createTransferService,
  purgeExpiredIdempotencyKeys,
  type TransferService,
  type TransferServiceOptions,
} from '@ledgerline/transfers';
import { transferRoutes } from './routes/transfers.routes';

/**
 * `redis` holds only the rate-limit counters (under `key_prefix`). Nothing on the money path touches
 * it: accepted transfers reach the queues through the outbox relay, and while Redis is down requests
 * go through unlimited rather than failing.
 */
export interface TransactionsAppOptions extends Omit<ApiAppOptions, 'service_name' | 'openapi'> {
  /** Bounds of the transfer service (idempotency TTL, hold lifetimes, transaction timeout). */
  transfer_options?: Omit<TransferServiceOptions, 'db' | 'logger'>;
  /** A prepared service (tests); built from `db` and `transfer_options` when absent. */
  transfers?: TransferService;
  /** How often expired idempotency keys are deleted while the app runs; 0 or absent: never. */
  idempotency_sweep_interval_ms?: number;
}

/** Keys deleted per sweep statement, and statements per sweep: bounded work, however large the backlog. */
const SWEEP_BATCH_SIZE_MAX = 1_000;
const SWEEP_BATCHES_MAX = 100;

/**
 * The transactions API: transfers, deposits, withdrawals, batches, holds and reversals on the shared
 * API app (problems, request ids, rate limits, OpenAPI, health, auth, audit). `main.ts` only listens.
 * The audit record of a request is written after the transfer's transaction committed; should it fail,
 * the client sees a 500 and its retry with the same key replays the stored response (and is audited
 * then), so no accepted transfer goes unaccounted for.
 */
export async function buildTransactionsApp(options: TransactionsAppOptions): Promise<ServiceApp> {
  const app = await buildApiApp({
    ...options,
    service_name: 'transactions-api',
    openapi: {
      title: 'Ledgerline transactions API',
      description:
        'Transfers, deposits, withdrawals, batches, holds and reversals. Money-moving POSTs take an Idempotency-Key.',
    },
  });

  const transfers =
    options.transfers ??
    createTransferService({
      db: options.db,
      logger: { warn: (object, message) => app.log.warn(object, message) },
      accept_batch_metrics: createBatchMetrics(app.metrics.registry)('accept'),
      ...options.transfer_options,
    });

  // Long polls (`Prefer: wait`) end as soon as shutdown starts, answering the current state.
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());
  await app.register(transferRoutes, { transfers, shutdown_signal: shutdown.signal });

  if (options.idempotency_sweep_interval_ms !== undefined && options.idempotency_sweep_interval_ms > 0) {
    installIdempotencySweeper(app, options.db, options.idempotency_sweep_interval_ms);
  }
  return app;
}

/**
 * Deletes expired idempotency keys in bounded batches on a timer (SKIP LOCKED, so several instances can
 * sweep at once). A failed sweep is logged and tried again next time; expired keys are ignored by
 * lookups anyway, so the sweeper only keeps the table small.
 */
function installIdempotencySweeper(app: ServiceApp, db: Database, interval_ms: number): void {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    let deleted = 0;
    for (let batch = 0; batch < SWEEP_BATCHES_MAX; batch += 1) {
      const count = await purgeExpiredIdempotencyKeys(db, SWEEP_BATCH_SIZE_MAX);
      deleted += count;
      if (count < SWEEP_BATCH_SIZE_MAX) break;
    }
    if (deleted > 0) app.log.info({ deleted }, 'expired idempotency keys deleted');
  };
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = sweep()
      .catch((error: unknown) => app.log.warn({ err: error }, 'idempotency key sweep failed'))
      .finally(() => {
        running = undefined;
      });
  }, interval_ms);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
