import type { DestinationStream } from 'pino';
import { auditPlugin } from '@ledgerline/audit';
import { authPlugin, type JwtOptions } from '@ledgerline/auth';
import { isTransientDatabaseError, type Database } from '@ledgerline/db';
import {
  buildServiceApp,
  type LogLevel,
  type RateLimitOptions,
  type ReadinessCheck,
  type ServiceApp,
} from '@ledgerline/http';
import {
  createTransferService,
  purgeExpiredIdempotencyKeys,
  type TransferService,
  type TransferServiceOptions,
} from '@ledgerline/transfers';
import { transferRoutes } from './routes/transfers.routes';

export interface TransactionsAppDependencies {
  db: Database;
  jwt: JwtOptions;
  log_level: LogLevel;
  /** Where log lines go; stdout when absent. */
  log_destination?: DestinationStream;
  rate_limit: RateLimitOptions;
  body_limit_bytes?: number;
  trust_proxy?: boolean;
  readiness_checks?: Readonly<Record<string, ReadinessCheck>>;
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
 * service app (problems, request ids, rate limits, OpenAPI, health). `main.ts` only listens.
 */
export async function buildTransactionsApp(deps: TransactionsAppDependencies): Promise<ServiceApp> {
  const app = await buildServiceApp({
    service_name: 'transactions-api',
    is_transient_error: isTransientDatabaseError,
    log_level: deps.log_level,
    ...(deps.log_destination === undefined ? {} : { log_destination: deps.log_destination }),
    ...(deps.body_limit_bytes === undefined ? {} : { body_limit_bytes: deps.body_limit_bytes }),
    ...(deps.trust_proxy === undefined ? {} : { trust_proxy: deps.trust_proxy }),
    rate_limit: deps.rate_limit,
    readiness_checks: deps.readiness_checks ?? { database: () => deps.db.$queryRaw`SELECT 1` },
    openapi: {
      title: 'Ledgerline transactions API',
      description:
        'Transfers, deposits, withdrawals, batches, holds and reversals. Money-moving POSTs take an Idempotency-Key.',
    },
  });
  await app.register(authPlugin, { jwt: deps.jwt });
  // After auth, so each record names the caller. The record is written after the transfer's transaction
  // committed; should it fail, the client sees a 500 and its retry with the same key replays the
  // stored response (and is audited then), so no accepted transfer goes unaccounted for.
  await app.register(auditPlugin, { db: deps.db });

  const transfers =
    deps.transfers ??
    createTransferService({
      db: deps.db,
      logger: { warn: (object, message) => app.log.warn(object, message) },
      ...deps.transfer_options,
    });

  // Long polls (`Prefer: wait`) end as soon as shutdown starts, answering the current state.
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());
  await app.register(transferRoutes, { transfers, shutdown_signal: shutdown.signal });

  if (deps.idempotency_sweep_interval_ms !== undefined && deps.idempotency_sweep_interval_ms > 0) {
    installIdempotencySweeper(app, deps.db, deps.idempotency_sweep_interval_ms);
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
