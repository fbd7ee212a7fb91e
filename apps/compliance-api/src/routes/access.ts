import { requireRole } from '@ledgerline/auth';
import type { Role } from '@ledgerline/http';

/** Who may use the compliance API at all: compliance officers and admins; every other role gets 403. */
export const COMPLIANCE_ROLES: readonly Role[] = ['compliance', 'admin'];

/** Route guard for every compliance route: 401 without a token, then 403 for other roles. */
export const requireComplianceOfficer = requireRole(...COMPLIANCE_ROLES);
