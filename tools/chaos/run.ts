/**
 * `npm run chaos`: a Jepsen-style bank test. It starts a Postgres cluster, a Redis and every app of the
 * platform of its own, opens and funds a fixed set of accounts, then runs concurrent clients moving
 * money among them (each retrying with the same Idempotency-Key) while faults are injected at seeded
 * random intervals. After the faults stop and the platform drains, it checks the books and prints one
 * summary line.
 *
 *   npm run chaos -- [--duration-seconds 600] [--clients 8] [--seed N] [--verbose] [--keep-logs]
 *
 * Exit status: 0 when every check holds, 1 on any violation, 2 when the run itself could not be done,
 * 130 when interrupted. Everything it started is stopped and its data removed in every case; its logs
 * (apps, Postgres, Redis, faults, the clients' history) are kept only when something went wrong or
 * with --keep-logs.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPrismaClient, migrate, type Database } from '@ledgerline/db';
import { buildApps, PrivateRedis } from '@ledgerline/processes';
import { ChaosPlatform } from './apps';
import { checkAll, drain, groupViolations, QueueInspector, type Violation } from './checks';
import { ChaosApi, openBank, runClients, type TransferRecord } from './clients';
import { runFreezer } from './freezes';
import { PostgresCluster } from './cluster';
import { FaultInjector } from './faults';
import { runOfficer } from './officer';
import { Guardian, tracked } from './guardian';
import { Random } from './random';

const ACCOUNTS = 8;
const FUNDING = '1000.00';
const FAULT_INTERVAL_MS = { min: 2_000, max: 7_000 };
const BOOT_TIMEOUT_MS = 180_000;
const RECOVERY_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 180_000;

interface Options {
  duration_s: number;
  clients: number;
  seed: number;
  verbose: boolean;
  keep_logs: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      'duration-seconds': { type: 'string', default: '600' },
      clients: { type: 'string', default: '8' },
      seed: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'keep-logs': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const integer = (name: string, value: string, minimum: number, maximum: number): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < minimum || parsed > maximum)
      throw new Error(`--${name} must be an integer in ${minimum}..${maximum}`);
    return parsed;
  };
  return {
    duration_s: integer('duration-seconds', values['duration-seconds'], 10, 86_400),
    clients: integer('clients', values.clients, 1, 256),
    // Without --seed a fresh one, printed in the summary so that the schedule can be replayed.
    seed:
      values.seed === undefined
        ? randomBytes(4).readUInt32BE()
        : integer('seed', values.seed, 0, 4_294_967_295),
    verbose: values.verbose,
    keep_logs: values['keep-logs'],
  };
}

/** Everything the run started, so that it can all be stopped and removed whatever happens. */
class Resources {
  readonly guardian: Guardian;
  postgres: PostgresCluster | undefined;
  redis: PrivateRedis | undefined;
  readonly platform = new ChaosPlatform();
  pool: pg.Pool | undefined;
  db: Database | undefined;
  queues: QueueInspector | undefined;
  runLog: WriteStream | undefined;
  private cleaning: Promise<void> | undefined;

  constructor(readonly directory: string) {
    this.guardian = new Guardian(directory);
  }

  cleanUp(keep_logs: boolean): Promise<void> {
    this.cleaning ??= (async () => {
      const quietly = (work: Promise<unknown> | undefined) => work?.catch(() => undefined);
      await quietly(this.queues?.close());
      await quietly(this.pool?.end());
      await quietly(this.db?.$disconnect());
      await quietly(this.platform.stopAll());
      await quietly(this.redis?.destroy());
      await quietly(this.postgres?.destroy());
      await new Promise<void>((resolve) => (this.runLog ? this.runLog.end(resolve) : resolve()));
      await rm(path.join(this.directory, 'pg'), { recursive: true, force: true });
      await rm(path.join(this.directory, 'redis'), { recursive: true, force: true });
      this.guardian.dismiss();
      if (keep_logs) process.stderr.write(`chaos: logs kept in ${path.join(this.directory, 'logs')}\n`);
      else await rm(this.directory, { recursive: true, force: true });
    })();
    return this.cleaning;
  }
}

async function main(): Promise<number> {
  const started_at = Date.now();
  let options: Options;
  try {
    options = readOptions();
  } catch (error) {
    process.stderr.write(`chaos: ${(error as Error).message}\n`);
    return 2;
  }
  const directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-chaos-'));
  // The Postgres server may run as another OS user, which must reach its own subdirectory.
  await chmod(directory, 0o711);
  const logDirectory = path.join(directory, 'logs');
  await mkdir(logDirectory);
  const resources = new Resources(directory);
  const runLog = createWriteStream(path.join(logDirectory, 'chaos.log'));
  resources.runLog = runLog;
  const log = (line: string) => {
    const stamped = `${new Date().toISOString()} +${((Date.now() - started_at) / 1_000).toFixed(1)}s ${line}`;
    runLog.write(`${stamped}\n`);
    if (options.verbose) process.stderr.write(`chaos: ${stamped}\n`);
  };
  // Not `once`: a Ctrl-C may arrive more than once (from the terminal and relayed by a parent), and a
  // second signal without a listener would kill the runner halfway through its clean-up.
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`interrupted by ${signal}`);
    void resources.cleanUp(true).finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  // A bug in the runner itself must not leave servers and apps running either.
  const crash = (error: unknown) => {
    if (interrupted) return;
    interrupted = true;
    log(`the runner crashed: ${error instanceof Error ? error.stack : String(error)}`);
    process.stdout.write(
      `chaos ERROR seed=${options.seed} the runner crashed: ${String(error).split('\n')[0]}\n`,
    );
    void resources.cleanUp(true).finally(() => process.exit(2));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  try {
    const outcome = await runChaos(options, resources, logDirectory, log, started_at);
    await resources.cleanUp(options.keep_logs || outcome.violations.length > 0);
    process.stdout.write(
      `${outcome.summary} cleanup_s=${((Date.now() - outcome.summarized_at) / 1_000).toFixed(1)}\n`,
    );
    return outcome.violations.length > 0 ? 1 : 0;
  } catch (error) {
    // Once interrupted, the run fails as its servers go away: that is no error of the run.
    if (interrupted) {
      await resources.cleanUp(true);
      return 130;
    }
    log(`the run failed: ${(error as Error).stack ?? String(error)}`);
    await resources.cleanUp(true);
    process.stdout.write(`chaos ERROR seed=${options.seed} ${(error as Error).message.split('\n')[0]}\n`);
    return 2;
  }
}

async function runChaos(
  options: Options,
  resources: Resources,
  logDirectory: string,
  log: (line: string) => void,
  started_at: number,
): Promise<{ summary: string; violations: Violation[]; summarized_at: number }> {
  const random = new Random(options.seed);
  log(`seed ${options.seed}, ${options.duration_s} s, ${options.clients} clients`);

  // The apps run from their bundles, built fresh before anything starts.
  await buildApps();
  resources.postgres = await PostgresCluster.create(
    path.join(resources.directory, 'pg'),
    path.join(logDirectory, 'postgres.log'),
  );
  await resources.postgres.start();
  // Append-only with fsync every second: Redis writes the AOF before it answers, so a killed process
  // (not a lost machine) loses no acknowledged job, as in production.
  resources.redis = new PrivateRedis({
    directory: path.join(resources.directory, 'redis'),
    log_file: path.join(logDirectory, 'redis.log'),
    append_only: true,
    detached: true,
    on_event: tracked(resources.guardian, 'redis-server'),
  });
  await resources.redis.start();
  await migrate(resources.postgres.url);
  log(`postgres on ${resources.postgres.port}, redis on ${resources.redis.port}, migrated`);

  const admin = { client_id: 'chaos-admin', client_secret: randomBytes(24).toString('base64url') };
  const platform = resources.platform;
  await platform.start({
    database_url: resources.postgres.url,
    redis_url: resources.redis.url,
    log_directory: logDirectory,
    admin_client_id: admin.client_id,
    admin_client_secret: admin.client_secret,
    registry: resources.guardian,
  });
  await platform.waitReady(BOOT_TIMEOUT_MS);
  const api = new ChaosApi(platform.baseUrl, admin.client_id, admin.client_secret);
  await api.login();
  // The officer works the held transfers' cases (the funding deposits' among them) from now until the
  // pipeline has drained.
  const officerStop = new AbortController();
  let funded = false;
  const officer = runOfficer({
    api,
    random: random.fork(),
    stop: officerStop.signal,
    may_reject: () => funded,
  });
  const bank = await openBank(api, ACCOUNTS, FUNDING);
  funded = true;
  const setup_s = (Date.now() - started_at) / 1_000;
  log(
    `platform ready at ${platform.baseUrl}, ${bank.accounts.length} accounts funded, setup took ${setup_s.toFixed(1)} s`,
  );

  // The storm: clients and faults for the duration. Faults end with the last one repaired; clients
  // start nothing new after the deadline and finish the transfers they have in flight.
  const history = createWriteStream(path.join(logDirectory, 'history.jsonl'));
  const until_ms = Date.now() + options.duration_s * 1_000;
  const injector = new FaultInjector(
    { platform, redis: resources.redis, postgres: resources.postgres },
    random.fork(),
    { interval_ms_min: FAULT_INTERVAL_MS.min, interval_ms_max: FAULT_INTERVAL_MS.max, log },
  );
  const clients = runClients({
    api,
    accounts: bank.accounts,
    clients: options.clients,
    until_ms,
    random: random.fork(),
    onRecord: (record) => history.write(`${JSON.stringify(record)}\n`),
  });
  const freezer = runFreezer({ api, accounts: bank.accounts, until_ms, random: random.fork() });
  await injector.run(until_ms);
  log('faults stopped');
  const records: TransferRecord[] = await clients;
  const freezes = await freezer;
  await new Promise<void>((resolve) => history.end(resolve));
  log(`clients finished: ${records.length} transfers`);

  // Recovery: every app back up, then the pipeline drains (bounded) before the books are checked.
  await platform.waitReady(RECOVERY_TIMEOUT_MS);
  resources.pool = new pg.Pool({ connectionString: resources.postgres.url, max: 2 });
  resources.pool.on('error', () => undefined);
  resources.db = createPrismaClient({
    url: resources.postgres.url,
    pool_size_max: 2,
    statement_timeout_ms: 120_000,
    application_name: 'chaos-check',
  });
  resources.queues = new QueueInspector(resources.redis.url, 'chaos');
  const drained = await drain(resources.pool, resources.queues, DRAIN_TIMEOUT_MS);
  log(`drain ${drained.drained ? 'done' : 'TIMED OUT'} after ${drained.waited_ms} ms`);
  officerStop.abort();
  const decisions = await officer;
  log(
    `officer: ${decisions.approved} approved, ${decisions.rejected} rejected, ${decisions.already_decided} already decided`,
  );
  const { violations, outcomes } = await checkAll({
    pool: resources.pool,
    db: resources.db,
    queues: resources.queues,
    bank,
    records,
    freezes,
  });
  for (const anomaly of decisions.anomalies)
    violations.push({ kind: 'unexpected_answer', detail: `officer ${anomaly}` });

  const grouped = groupViolations(violations);
  for (const example of grouped.examples) process.stderr.write(`chaos: violation ${example}\n`);
  for (const example of grouped.examples) log(`violation ${example}`);
  const count = (outcome: TransferRecord['outcome']) =>
    records.filter((record) => record.outcome === outcome).length;
  // `total(kind=n,...)`, the breakdown left out when there is nothing to break down.
  const list = (entries: Record<string, number>) => {
    const names = Object.keys(entries).sort();
    return names.length === 0 ? '' : `(${names.map((name) => `${name}=${entries[name]}`).join(',')})`;
  };
  const total = (entries: Record<string, number>) =>
    Object.values(entries).reduce((sum, value) => sum + value, 0);
  const faults = Object.fromEntries(injector.counts);
  const summary = [
    `chaos ${violations.length === 0 ? 'PASSED' : 'FAILED'}`,
    `seed=${options.seed}`,
    `duration_s=${options.duration_s}`,
    `clients=${options.clients}`,
    `attempted=${records.length}`,
    `accepted=${count('accepted')}`,
    `indeterminate=${count('indeterminate')}(recorded=${outcomes.indeterminate_recorded})`,
    `refused=${count('refused')}`,
    `posted=${outcomes.posted}`,
    `rejected=${outcomes.rejected}${list(outcomes.rejected_by_reason)}`,
    `holds=${total(outcomes.holds_by_outcome)}${list(outcomes.holds_by_outcome)}`,
    `reversals=${total(outcomes.reversals_by_status)}${list(outcomes.reversals_by_status)}`,
    `atomic_batches=${total(outcomes.atomic_batches)}${list(outcomes.atomic_batches)}`,
    `movements=${total(outcomes.movements)}${list(outcomes.movements)}`,
    `freezes=${total(outcomes.freezes)}${list(outcomes.freezes)}`,
    `cases=${total(outcomes.cases_by_status)}${list(outcomes.cases_by_status)}`,
    `faults=${total(faults)}${list(faults)}`,
    `unplanned_exits=${total(platform.unplannedExits())}${list(platform.unplannedExits())}`,
    `drained=${drained.drained ? `${(drained.waited_ms / 1_000).toFixed(1)}s` : 'no'}`,
    `violations=${violations.length}${list(grouped.counts)}`,
    `setup_s=${setup_s.toFixed(1)}`,
    `elapsed_s=${((Date.now() - started_at) / 1_000).toFixed(1)}`,
  ].join(' ');
  log(summary);
  return { summary, violations, summarized_at: Date.now() };
}

// Exit explicitly: pooled HTTP sockets and timers of the clients would otherwise keep the process alive.
process.exit(await main());
