import { startAutovacuumStandIn } from '@ledgerline/processes';

/**
 * Starts autovacuum's stand-in (`@ledgerline/processes`) on a benchmark database where the server runs
 * without autovacuum, and has it stopped (before the database is dropped: cleanups run in reverse) with
 * one line saying what it did.
 */
export async function keepMaintained(
  database_url: string,
  label: string,
  context: { log(message: string): void; defer(cleanup: () => Promise<void>): void },
): Promise<void> {
  const standIn = await startAutovacuumStandIn(database_url, {
    application_name: 'bench-autovacuum-stand-in',
  });
  if (!standIn.active) return;
  context.defer(async () => {
    const done = await standIn.stop();
    context.log(
      `autovacuum stand-in (${label}): ${done.vacuumed} tables vacuumed and analyzed, ${done.analyzed} analyzed`,
    );
  });
}
