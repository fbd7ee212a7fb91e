import { apiAppOptionsFromConfig, runHttpService } from '@ledgerline/service';
import { buildOpsApp } from './app';
import { OpsApiConfigSchema } from './config';

runHttpService(
  {
    service_name: 'ops-api',
    config_schema: OpsApiConfigSchema,
    build: ({ config, db, redis }) =>
      // The queues the ops API shows and steers are the platform's (`QUEUE_PREFIX`), over runHttpService's
      // producer connection (`redis`), which fails fast rather than queueing commands while Redis is away.
      buildOpsApp({ db, redis, ...apiAppOptionsFromConfig(config) }),
  },
  process.env,
);
