// Disables an API client for good, with an audit record in the same transaction:
//   DATABASE_URL=... npx tsx tools/scripts/disable-api-client.ts <client_id> [reason]
// The client gets no new token at once, and every API refuses the tokens it holds within its refresh of
// the disabled clients (5 s by default), cached ones included. The contract has no route for this: it
// is an operator's action on a leaked or retired credential, taken where the database is reachable.
// Prints one line; exit status 0 when the client is disabled (now or already), 1 when there is no
// such client, 2 when the command could not run. Running it again changes nothing.
import os from 'node:os';
import { auditInsert } from '@ledgerline/audit';
import { disableApiClient, type DisableApiClientResult } from '@ledgerline/auth';
import { DatabaseConfigSchema, loadConfig } from '@ledgerline/config';
import { newRowId } from '@ledgerline/db';
import { openOperatorDatabase } from './operator-database';

/** Audit records name their actor; an operator's command names the host account it ran as. */
const ACTOR = `operator:${os.userInfo().username}`.slice(0, 128);

async function main(client_id: string, reason: string): Promise<number> {
  const config = loadConfig(DatabaseConfigSchema, process.env);
  const db = openOperatorDatabase(config, { application_name: 'disable-api-client' });
  try {
    const result: DisableApiClientResult = await db.$transaction(async (tx) => {
      const outcome = await disableApiClient(tx, client_id);
      if (outcome === 'disabled') {
        await tx.$executeRaw(
          auditInsert({
            actor: ACTOR,
            role: 'operator',
            action: `disable-api-client: ${reason}`.slice(0, 200),
            resource: `api_clients/${client_id}`.slice(0, 500),
            request_id: newRowId(),
            outcome: 200,
          }),
        );
      }
      return outcome;
    });
    process.stdout.write(`disable-api-client ${result} ${client_id}\n`);
    return result === 'not_found' ? 1 : 0;
  } finally {
    await db.$disconnect();
  }
}

const [client_id, ...reason] = process.argv.slice(2);
if (client_id === undefined || client_id.length === 0 || client_id.length > 128) {
  process.stdout.write('usage: disable-api-client.ts <client_id> [reason]\n');
  process.exit(2);
}
main(client_id, reason.join(' ') || 'no reason given').then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stdout.write(`disable-api-client error ${message}\n`);
    process.exit(2);
  },
);
