// Verifies the audit hash chain of the database in DATABASE_URL and prints one line.
// Exit code: 0 intact, 1 broken, 2 could not check. Usage: `tsx tools/scripts/audit-verify.ts`.
import { verifyAuditChain } from '@ledgerline/audit';
import { DatabaseConfigSchema, loadConfig } from '@ledgerline/config';
import { openOperatorDatabase } from './operator-database';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(DatabaseConfigSchema, process.env);
  } catch (error) {
    process.stdout.write(`audit chain: not checked: ${(error as Error).message}\n`);
    return 2;
  }
  const db = openOperatorDatabase(config, { application_name: 'audit-verify' });
  try {
    const result = await verifyAuditChain(db);
    process.stdout.write(
      result.ok
        ? `audit chain: ok, ${result.records_checked} records checked${unsealedNote(result.records_unsealed)}\n`
        : `audit chain: BROKEN at record ${result.first_broken_id} (${result.records_checked} records checked)\n`,
    );
    return result.ok ? 0 : 1;
  } catch (error) {
    process.stdout.write(`audit chain: not checked: ${(error as Error).message.split('\n')[0]}\n`);
    return 2;
  } finally {
    await db.$disconnect();
  }
}

/** Records the sealer has not reached yet (normally those of the last second) are not checked. */
function unsealedNote(records_unsealed: number): string {
  return records_unsealed === 0 ? '' : `; ${records_unsealed} newer records not sealed yet`;
}

process.exitCode = await main();
