import { createCaseService } from '@ledgerline/cases';
import type { ServiceApp } from '@ledgerline/http';
import { buildApiApp, type ApiAppOptions } from '@ledgerline/service';
import { caseRoutes } from './routes/cases.routes';
import { createReportService } from '@ledgerline/reports';
import { reportRoutes } from './routes/reports.routes';
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
  await app.register(caseRoutes, { cases: createCaseService({ db: options.db }) });
  await app.register(reportRoutes, { reports: createReportService({ db: options.db }) });
  await app.register(sanctionsListRoutes, { lists: createSanctionsListService({ db: options.db }) });
  return app;
}
