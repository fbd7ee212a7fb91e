import { jwtOptionsFromConfig } from '@ledgerline/auth';
import { runHttpService } from '@ledgerline/service';
import { buildOpsApp } from './app';
import { OpsApiConfigSchema } from './config';

runHttpService(
  {
    service_name: 'ops-api',
    config_schema: OpsApiConfigSchema,
    build: ({ config, db, redis }) =>
      buildOpsApp({
        db,
        redis,
        jwt: jwtOptionsFromConfig(config),
        // The platform's BullMQ prefix: the queues the ops API shows and steers, over runHttpService's
        // producer connection (`redis`), which fails fast rather than queueing commands while Redis is away.
        key_prefix: config.QUEUE_PREFIX,
        log_level: config.LOG_LEVEL,
        body_limit_bytes: config.BODY_LIMIT_BYTES,
        trust_proxy: config.TRUST_PROXY,
        rate_limit: { max: config.RATE_LIMIT_MAX, time_window_ms: config.RATE_LIMIT_WINDOW_MS },
      }),
  },
  process.env,
);
