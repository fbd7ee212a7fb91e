import { freePort, waitUntil } from '@ledgerline/processes';
import path from 'node:path';

// freePort and waitUntil come from @ledgerline/processes; module boundaries forbid importing the e2e
// harness by path, so the few other helpers the chaos run needs live here.

export const WORKSPACE_ROOT = path.resolve(import.meta.dirname, '../..');

/** The statuses a transfer never leaves. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['posted', 'rejected', 'voided']);

export { freePort, waitUntil };
