import { requireRole } from '@ledgerline/auth';

/** Operators steer the queues, admins may do everything; every other role gets 403, no token 401. */
export const requireOperator = requireRole('operator', 'admin');
