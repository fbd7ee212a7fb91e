import { buildApps } from '@ledgerline/processes';

/** Vitest global setup of the e2e project: every app bundled once, before any test file starts one. */
export default async function setup(): Promise<void> {
  await buildApps();
}
