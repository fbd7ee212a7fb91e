import { apiAppOptionsFromConfig, runHttpService } from '@ledgerline/service';
import { buildComplianceApp } from './app';
import { ComplianceApiConfigSchema } from './config';

runHttpService(
  {
    service_name: 'compliance-api',
    config_schema: ComplianceApiConfigSchema,
    build: ({ config, db, redis }) => buildComplianceApp({ db, redis, ...apiAppOptionsFromConfig(config) }),
  },
  process.env,
);
