/**
 * `npm run bench` (add `-- --quick` for the two-minute variant, `-- --only=a,b` for some scenarios,
 * `-- --profile` to write a CPU profile of every platform process to bench/tmp/profiles/<app>/).
 *
 * Starts what it needs on 127.0.0.1 (its own databases on the local Postgres or DATABASE_URL's server,
 * its own Redis key prefix, the platform's processes on spare ports), runs each scenario within its
 * bounds, prints a table and writes `bench/results.json`. Every figure is a ratio against a reference
 * measured in the same run, and every target of issue 4 is marked met or missed. Everything it created
 * is removed at the end, also after a failure or Ctrl-C.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AUTOVACUUM_STAND_IN_INTERVAL_MS, buildApps, WORKSPACE_ROOT } from '@ledgerline/processes';
import { FigureBook, ScenarioSkipped, type ScenarioRecord } from './lib/figures';
import { References } from './lib/references';
import type { BenchContext, Scenario } from './lib/context';
import { keepMaintained } from './lib/autovacuum';
import { cleanupStack } from './lib/cleanups';
import { gitInfo, machineInfo } from './lib/machine';
import { nginxVersion } from './lib/nginx';
import { startPlatform, type GatewayChoice, type Platform } from './lib/platform';
import {
  createMigratedDatabase,
  serverUrlFrom,
  serverAutovacuum,
  serverVersion,
  uniqueName,
  type BenchDatabase,
} from './lib/postgres';
import { renderTable } from './lib/report';
import { settingsFor, withEndToEndTransfers } from './lib/settings';
import { SCENARIOS } from './scenarios';

const RESULTS_FILE = path.join(WORKSPACE_ROOT, 'bench', 'results.json');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      gateway: { type: 'string', default: 'auto' },
      'e2e-transfers': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--quick] [--profile] [--gateway=auto|nginx|node] [--e2e-transfers=N] [--only=${SCENARIOS.map((scenario) => scenario.name).join(',')}]\n` +
        '  --gateway: what serves the base URL: nginx as in production (auto: when installed), or the Node gateway\n' +
        '  --e2e-transfers: the size of the uniform end-to-end run (to compare two builds with a quick run that is not\n' +
        "    dominated by startup; the figures are then not the profile's)\n",
    );
    return 0;
  }
  const only = values.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  const selected = SCENARIOS.filter((scenario) => !only || only.includes(scenario.name));
  const gateway = chooseGateway(values.gateway);

  const settings = withEndToEndTransfers(
    settingsFor(values.quick ? 'quick' : 'full'),
    values['e2e-transfers'],
  );
  const started_at = Date.now();
  const machine = machineInfo();
  const log = (message: string) =>
    process.stdout.write(`[bench ${((Date.now() - started_at) / 1_000).toFixed(1)}s] ${message}\n`);
  // Run once, by whoever asks first (the end of the run or a signal); the other waits for the same run.
  const cleanups = cleanupStack(log);
  const postgres_server_url = serverUrlFrom(process.env['DATABASE_URL']);
  let database: Promise<BenchDatabase> | undefined;
  let platform: Promise<Platform> | undefined;
  const context: BenchContext = {
    settings,
    postgres_server_url,
    figures: new FigureBook(),
    references: new References(),
    cpu_profile: values.profile,
    log,
    defer: (cleanup) => cleanups.push(cleanup),
    database() {
      database ??= createMigratedDatabase(postgres_server_url, uniqueName('bench_ledgerline')).then(
        async (created) => {
          cleanups.push(created.drop);
          log(`database ${created.name} created and migrated`);
          await keepMaintained(created.url, 'database', { log, defer: context.defer });
          return created;
        },
      );
      return database;
    },
    platform() {
      platform ??= context.database().then((created) =>
        startPlatform({
          database_url: created.url,
          settings,
          log,
          defer: context.defer,
          cpu_profile: context.cpu_profile,
          gateway,
        }),
      );
      return platform;
    },
  };

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanups.run().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  log(
    `profile ${settings.profile}; base URL served by ${gateway.description}; scenarios: ${selected.map((scenario) => scenario.name).join(', ')}`,
  );
  const records: ScenarioRecord[] = [];
  // Read before the bundles are built: the figures are of the code as it was then, whatever is edited
  // while the run goes on.
  const git = await gitInfo(WORKSPACE_ROOT);
  try {
    // The platform's processes run the apps' bundles: built fresh, once, before any scenario.
    await buildApps();
    for (const scenario of selected) {
      if (interrupted) break;
      records.push(await runScenario(scenario, context));
    }
  } finally {
    await cleanups.run();
  }
  // Nothing half-measured is written.
  if (interrupted) return 130;

  const busy = machine.load_average_at_start[0] ?? 0;
  const note =
    busy > machine.cpu_count
      ? `\nnote: load average ${busy.toFixed(1)} on ${machine.cpu_count} cores when the run started: other work shared the machine and the figures are noisy.`
      : '';
  const table = renderTable(context.figures.figures, records, context.references.rechecks) + note;
  process.stdout.write(`\n${table}\n`);
  const results = {
    profile: settings.profile,
    started_at: new Date(started_at).toISOString(),
    duration_s: (Date.now() - started_at) / 1_000,
    git,
    machine: {
      ...machine,
      load_average_at_end: os.loadavg(),
      postgres_version: await serverVersion(postgres_server_url).catch(() => 'unknown'),
    },
    settings: {
      ...settings,
      gateway: gateway.description,
      autovacuum:
        (await serverAutovacuum(postgres_server_url).catch(() => 'unknown')) === 'on'
          ? "the server's"
          : `off on the server: the bench's own databases get its stand-in every ${AUTOVACUUM_STAND_IN_INTERVAL_MS / 1_000} s (startAutovacuumStandIn in @ledgerline/processes)`,
    },
    scenarios: records,
    figures: context.figures.figures,
    reference_rechecks: context.references.rechecks,
    table,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${path.relative(WORKSPACE_ROOT, RESULTS_FILE)}`);
  return records.some((record) => record.status === 'failed') ? 1 : 0;
}

/** nginx (production's load balancer, infra/nginx) when asked or, with `auto`, when installed; else the Node gateway. */
function chooseGateway(option: string | undefined): GatewayChoice {
  if (option !== 'auto' && option !== 'nginx' && option !== 'node')
    throw new Error(`--gateway must be auto, nginx or node`);
  const version = option === 'node' ? undefined : nginxVersion();
  if (version !== undefined) return { kind: 'nginx', version, description: `${version} (one worker)` };
  if (option === 'nginx')
    throw new Error('--gateway=nginx: nginx is not installed (apt-get install nginx-light)');
  return { kind: 'node', description: 'the Node gateway (apps/gateway)' };
}

async function runScenario(scenario: Scenario, context: BenchContext): Promise<ScenarioRecord> {
  const started_at = Date.now();
  context.log(`${scenario.name}: ${scenario.title}`);
  try {
    const details = await scenario.run(context);
    await context.references
      .recheck(scenario.name, context.figures, context.log)
      .catch((error: unknown) =>
        context.log(
          `${scenario.name}: measuring its references again failed (${(error as Error).message}); its ratios stay against the earlier measurement`,
        ),
      );
    return {
      name: scenario.name,
      title: scenario.title,
      status: 'done',
      duration_ms: Date.now() - started_at,
      details,
    };
  } catch (error) {
    const skipped = error instanceof ScenarioSkipped;
    const reason = (error as Error).message;
    context.log(`${scenario.name}: ${skipped ? 'skipped' : 'FAILED'}: ${reason}`);
    return {
      name: scenario.name,
      title: scenario.title,
      status: skipped ? 'skipped' : 'failed',
      reason,
      duration_ms: Date.now() - started_at,
      details: {},
    };
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
