import { buildApiApp, type ApiAppOptions } from '@ledgerline/service';
import type { ServiceApp } from '@ledgerline/http';
import { createSanctionsListService } from '@ledgerline/sanctions';
import { sanctionsListRoutes } from './routes/sanctions-lists.routes';

export type ComplianceAppOptions = Omit<ApiAppOptions, 'service_name' | 'openapi'>;

/**
 * The compliance API, for compliance officers (and admins): cases of held transfers and their
 * decisions, sanctions lists, and batch reports. The caller owns `db` and `redis` and closes them.
 */
export async function buildComplianceApp(options: ComplianceAppOptions): Promise<ServiceApp> {
  const app = await buildApiApp({
    ...options,
    service_name: 'compliance-api',
    openapi: {
      title: 'Ledgerline compliance API',
      description: 'Compliance cases of held transfers, sanctions lists and batch reports.',
    },
  });
  await app.register(sanctionsListRoutes, { lists: createSanctionsListService({ db: options.db }) });
  return app;
}
