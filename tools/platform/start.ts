/**
 * `npm start`: brings up the whole platform on one machine.
 *
 * 1. bundles every app into dist/apps (buildApps), so that each runs as plain JavaScript;
 * 2. finds Postgres (DATABASE_URL, a local server, or an embedded one) and Redis (REDIS_URL, a local
 *    server, or `redis-server` from PATH);
 * 3. applies the migrations, and stands in for autovacuum where the server runs without it;
 * 4. starts every app as its own process (the accounts service creates the bootstrap admin client);
 * 5. waits until the gateway is ready, prints the URLs, and on Ctrl-C stops everything cleanly.
 */
import path from 'node:path';
import Type from 'typebox';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { migrate } from '@ledgerline/db';
import {
  appEnvironment,
  buildApps,
  HTTP_APPS,
  LOCAL_HTTP_PORTS,
  LOCAL_OPS_PORTS,
  PLATFORM_APPS,
  startAutovacuumStandIn,
  waitUntil,
  WORKSPACE_ROOT,
  type PlatformWiring,
} from '@ledgerline/processes';
import { loadOrCreateLocalSecrets } from './local-secrets';
import { resolvePostgres, type PostgresHandle } from './postgres';
import { ProcessSupervisor } from './processes';
import { MissingDependencyError, resolveRedis, type RedisHandle } from './redis';

/** The port of each HTTP app; the gateway's is the one base URL. */
const HTTP_PORTS = LOCAL_HTTP_PORTS;

const DATA_DIRECTORY = path.join(WORKSPACE_ROOT, '.data');

const LauncherConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  LOG_LEVEL: Type.String({ default: 'info' }),
  // Local-only defaults, printed at start; a real deployment sets its own.
  BOOTSTRAP_ADMIN_CLIENT_ID: Type.String({ minLength: 1, default: 'local-admin' }),
  BOOTSTRAP_ADMIN_CLIENT_SECRET: Type.String({
    minLength: 32,
    default: 'local-admin-secret-for-development-only',
  }),
  ENCRYPTION_KEYS: Type.Optional(Type.String({ minLength: 1 })),
  ENCRYPTION_ACTIVE_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  READY_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 90_000 }),
});

/** Stops whatever `main` has started so far and exits; set once `main` can stop things. */
let stopStarted: ((code: number) => Promise<void>) | undefined;

async function main(): Promise<void> {
  const config = loadConfig(LauncherConfigSchema, process.env);
  const stops: Array<() => Promise<void>> = [];
  const supervisor = new ProcessSupervisor(path.join(DATA_DIRECTORY, 'logs'));
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nledgerline: stopping...\n');
    await supervisor.stopAll();
    for (const stopOne of stops.reverse()) await stopOne().catch(() => undefined);
    process.stdout.write('ledgerline: stopped\n');
    process.exit(code);
  };
  stopStarted = stop;
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  // Fresh bundles on every start (a second or so), before anything runs: the apps never run stale code.
  await buildApps();
  process.stdout.write(`ledgerline: built ${PLATFORM_APPS.length} apps into dist/apps\n`);
  const postgres: PostgresHandle = await resolvePostgres(config.DATABASE_URL, DATA_DIRECTORY);
  stops.push(postgres.stop);
  process.stdout.write(`ledgerline: Postgres ${postgres.description}\n`);
  const redis: RedisHandle = await resolveRedis(config.REDIS_URL, DATA_DIRECTORY);
  stops.push(redis.stop);
  process.stdout.write(`ledgerline: Redis ${redis.description}\n`);

  const migrations = await migrate(postgres.url);
  process.stdout.write(
    `ledgerline: migrations applied: ${migrations.applied.length}, already applied: ${migrations.already_applied.length}\n`,
  );
  // A long session on a server without autovacuum would otherwise keep the plans made while the tables
  // were empty (the apps prepare their statements), and slow down as they grow.
  const standIn = await startAutovacuumStandIn(postgres.url);
  if (standIn.active) {
    stops.push(async () => void (await standIn.stop()));
    process.stdout.write(
      'ledgerline: the server runs without autovacuum; ledgerline vacuums and analyzes its tables while it runs\n',
    );
  }

  const secrets = await loadOrCreateLocalSecrets(DATA_DIRECTORY);
  const wiring: PlatformWiring = {
    ports: HTTP_PORTS,
    ops_ports: LOCAL_OPS_PORTS,
    admin_client_id: config.BOOTSTRAP_ADMIN_CLIENT_ID,
    admin_client_secret: config.BOOTSTRAP_ADMIN_CLIENT_SECRET,
    token_signing: secrets.token_keys.signing,
    shared: {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: config.LOG_LEVEL,
      ...secrets.token_keys.verifying,
      ENCRYPTION_KEYS: config.ENCRYPTION_KEYS ?? `${secrets.encryption_key_id}:${secrets.encryption_key}`,
      ENCRYPTION_ACTIVE_KEY_ID: config.ENCRYPTION_ACTIVE_KEY_ID ?? secrets.encryption_key_id,
    },
  };
  for (const app of PLATFORM_APPS) supervisor.start(app, appEnvironment(app, wiring));

  const baseUrl = `http://127.0.0.1:${HTTP_PORTS.gateway}`;
  await waitUntilReady(`${baseUrl}/readyz`, config.READY_TIMEOUT_MS);
  process.stdout.write(
    [
      '',
      `ledgerline: ready at ${baseUrl}`,
      `  API:            ${baseUrl}/v1`,
      `  OpenAPI:        ${baseUrl}/openapi.json`,
      `  Docs:           ${HTTP_APPS.filter((app) => app !== 'gateway')
        .map((app) => `http://127.0.0.1:${HTTP_PORTS[app]}/docs`)
        .join(', ')}`,
      `  Queues:         ${baseUrl}/admin/queues (operators and admins)`,
      `  Health:         ${baseUrl}/healthz, ${baseUrl}/readyz`,
      `  Workers:        ${Object.entries(LOCAL_OPS_PORTS)
        .map(([app, port]) => `${app} http://127.0.0.1:${port}/metrics`)
        .join(', ')} (also /healthz, /readyz)`,
      `  Admin client:   ${config.BOOTSTRAP_ADMIN_CLIENT_ID} / ${config.BOOTSTRAP_ADMIN_CLIENT_SECRET} (local use only)`,
      `  Logs:           ${path.join(DATA_DIRECTORY, 'logs')}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

async function waitUntilReady(url: string, timeout_ms: number): Promise<void> {
  await waitUntil(async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok, {
    timeout_ms,
    interval_ms: 250,
    what: url,
  }).catch(() => {
    throw new MissingDependencyError(
      `the platform did not become ready within ${timeout_ms} ms; see .data/logs`,
    );
  });
}

main().catch(async (error: unknown) => {
  const known = error instanceof ConfigError || error instanceof MissingDependencyError;
  process.stderr.write(
    `ledgerline: ${known ? (error as Error).message : `failed to start: ${(error as Error).message}`}\n`,
  );
  // A refused migration or a platform that never became ready must not leave Redis and the apps
  // running: the next start would find their ports taken.
  if (stopStarted !== undefined) await stopStarted(1);
  process.exit(1);
});
