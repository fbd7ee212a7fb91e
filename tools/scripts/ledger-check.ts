// Checks the ledger's invariants against DATABASE_URL and prints one summary line:
//   ledger-check ok currencies=2 accounts=10 posted_transfers=120 entries=240 violations=0
// Exit status: 0 when every invariant holds, 1 on any violation, 2 when the check could not run.
// The violations themselves (ids and amounts, no personal data) go to stderr, one JSON object a line.
import { DatabaseConfigSchema, loadConfig } from '@ledgerline/config';
import { checkInvariants, type InvariantReport } from '@ledgerline/ledger';
import { openOperatorDatabase } from './operator-database';

function summary(report: InvariantReport): string {
  const byKind = new Map<string, number>();
  for (const violation of report.violations) {
    byKind.set(violation.kind, (byKind.get(violation.kind) ?? 0) + 1);
  }
  const kinds = [...byKind].map(([kind, count]) => ` ${kind}=${count}`).join('');
  const { currencies, accounts, posted_transfers, entries } = report.counts;
  return (
    `ledger-check ${report.ok ? 'ok' : 'FAILED'} currencies=${currencies} accounts=${accounts} ` +
    `posted_transfers=${posted_transfers} entries=${entries} violations=${report.violations.length}` +
    `${report.truncated ? '+' : ''}${kinds}`
  );
}

async function main(): Promise<number> {
  const config = loadConfig(DatabaseConfigSchema, process.env);
  const db = openOperatorDatabase(config, {
    application_name: 'ledger-check',
    // The check scans every table; a statement of the default request budget would be cut short.
    statement_timeout_ms: Math.max(config.DATABASE_STATEMENT_TIMEOUT_MS, 300_000),
  });
  try {
    const report = await checkInvariants(db, { violations_max: 100, timeout_ms: 600_000 });
    for (const violation of report.violations) process.stderr.write(`${JSON.stringify(violation)}\n`);
    process.stdout.write(`${summary(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stdout.write(`ledger-check error ${message}\n`);
    process.exit(2);
  },
);
