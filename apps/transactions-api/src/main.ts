import { jwtOptionsFromConfig } from '@ledgerline/auth';
import { ConfigError } from '@ledgerline/config';
import { runHttpService, trustProxyOf } from '@ledgerline/service';
import { buildTransactionsApp } from './app';
import { TransactionsApiConfigSchema } from './config';

runHttpService(
  {
    service_name: 'transactions-api',
    config_schema: TransactionsApiConfigSchema,
    build: ({ config, db, redis }) => {
      if (config.HOLD_EXPIRES_IN_SECONDS_DEFAULT > config.HOLD_EXPIRES_IN_SECONDS_MAX) {
        throw new ConfigError(
          'Invalid configuration: HOLD_EXPIRES_IN_SECONDS_DEFAULT must not exceed HOLD_EXPIRES_IN_SECONDS_MAX',
        );
      }
      return buildTransactionsApp({
        db,
        jwt: jwtOptionsFromConfig(config),
        log_level: config.LOG_LEVEL,
        body_limit_bytes: config.BODY_LIMIT_BYTES,
        trust_proxy: trustProxyOf(config.TRUST_PROXY),
        // Rate-limit counts are shared through Redis so the limit holds across instances.
        redis,
        key_prefix: config.QUEUE_PREFIX,
        rate_limit: { max: config.RATE_LIMIT_MAX, time_window_ms: config.RATE_LIMIT_WINDOW_MS },
        transfer_options: {
          idempotency_ttl_seconds: config.IDEMPOTENCY_TTL_SECONDS,
          hold_expires_in_seconds_default: config.HOLD_EXPIRES_IN_SECONDS_DEFAULT,
          hold_expires_in_seconds_max: config.HOLD_EXPIRES_IN_SECONDS_MAX,
          transaction_timeout_ms: config.TRANSFER_TRANSACTION_TIMEOUT_MS,
        },
        idempotency_sweep_interval_ms: config.IDEMPOTENCY_SWEEP_INTERVAL_MS,
      });
    },
  },
  process.env,
);
