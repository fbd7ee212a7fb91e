/**
 * `npm start`: brings up the whole platform on one machine.
 *
 * 1. finds Postgres (DATABASE_URL, a local server, or an embedded one) and Redis (REDIS_URL, a local
 *    server, or `redis-server` from PATH);
 * 2. applies the migrations;
 * 3. starts every app as its own process (the accounts service creates the bootstrap admin client);
 * 4. waits until the gateway is ready, prints the URLs, and on Ctrl-C stops everything cleanly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { migrate } from '@ledgerline/db';
import { loadOrCreateLocalSecrets } from './local-secrets';
import { resolvePostgres, type PostgresHandle } from './postgres';
import { ProcessSupervisor } from './processes';
import { MissingDependencyError, resolveRedis, type RedisHandle } from './redis';
import { HTTP_PORTS, SERVICES } from './services';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA_DIRECTORY = path.join(ROOT, '.data');

const LauncherConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  LOG_LEVEL: Type.String({ default: 'info' }),
  // Local-only defaults, printed at start; a real deployment sets its own.
  BOOTSTRAP_ADMIN_CLIENT_ID: Type.String({ minLength: 1, default: 'local-admin' }),
  BOOTSTRAP_ADMIN_CLIENT_SECRET: Type.String({ minLength: 32, default: 'local-admin-secret-for-development-only' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  ENCRYPTION_KEYS: Type.Optional(Type.String({ minLength: 1 })),
  ENCRYPTION_ACTIVE_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  READY_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 90_000 }),
});

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
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const postgres: PostgresHandle = await resolvePostgres(config.DATABASE_URL, DATA_DIRECTORY);
  stops.push(postgres.stop);
  process.stdout.write(`ledgerline: Postgres ${postgres.description}\n`);
  const redis: RedisHandle = await resolveRedis(config.REDIS_URL, DATA_DIRECTORY);
  stops.push(redis.stop);
  process.stdout.write(`ledgerline: Redis ${redis.description}\n`);

  const migrations = await migrate(postgres.url);
  process.stdout.write(`ledgerline: migrations applied: ${migrations.applied.length}, already applied: ${migrations.already_applied.length}\n`);

  const secrets = await loadOrCreateLocalSecrets(DATA_DIRECTORY);
  const shared: Record<string, string> = {
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    LOG_LEVEL: config.LOG_LEVEL,
    JWT_ALGORITHM: 'HS256',
    JWT_SECRET: config.JWT_SECRET ?? secrets.jwt_secret,
    ENCRYPTION_KEYS: config.ENCRYPTION_KEYS ?? `${secrets.encryption_key_id}:${secrets.encryption_key}`,
    ENCRYPTION_ACTIVE_KEY_ID: config.ENCRYPTION_ACTIVE_KEY_ID ?? secrets.encryption_key_id,
  };
  for (const service of SERVICES) {
    if (!existsSync(path.join(ROOT, service.entry))) continue;
    const environment: Record<string, string> = { ...shared, HOST: '127.0.0.1' };
    if (service.port !== undefined) environment['PORT'] = String(service.port);
    // The APIs sit behind the gateway, which sets X-Forwarded-For: rate limits see the real client.
    if (service.name.endsWith('-api')) environment['TRUST_PROXY'] = 'true';
    if (service.name === 'accounts-api') {
      environment['BOOTSTRAP_ADMIN_CLIENT_ID'] = config.BOOTSTRAP_ADMIN_CLIENT_ID;
      environment['BOOTSTRAP_ADMIN_CLIENT_SECRET'] = config.BOOTSTRAP_ADMIN_CLIENT_SECRET;
    }
    if (service.name === 'gateway') {
      environment['ACCOUNTS_API_URL'] = `http://127.0.0.1:${HTTP_PORTS['accounts-api']}`;
      environment['TRANSACTIONS_API_URL'] = `http://127.0.0.1:${HTTP_PORTS['transactions-api']}`;
    }
    await supervisor.start({ name: service.name, entry: path.join(ROOT, service.entry), environment });
  }

  const baseUrl = `http://127.0.0.1:${HTTP_PORTS.gateway}`;
  await waitUntilReady(`${baseUrl}/readyz`, config.READY_TIMEOUT_MS);
  process.stdout.write(
    [
      '',
      `ledgerline: ready at ${baseUrl}`,
      `  API:            ${baseUrl}/v1`,
      `  OpenAPI:        ${baseUrl}/openapi.json`,
      `  Docs:           http://127.0.0.1:${HTTP_PORTS['accounts-api']}/docs, http://127.0.0.1:${HTTP_PORTS['transactions-api']}/docs`,
      `  Health:         ${baseUrl}/healthz, ${baseUrl}/readyz`,
      `  Admin client:   ${config.BOOTSTRAP_ADMIN_CLIENT_ID} / ${config.BOOTSTRAP_ADMIN_CLIENT_SECRET} (local use only)`,
      `  Logs:           ${path.join(DATA_DIRECTORY, 'logs')}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

async function waitUntilReady(url: string, timeout_ms: number): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new MissingDependencyError(`the platform did not become ready within ${timeout_ms} ms; see .data/logs`);
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof MissingDependencyError;
  process.stderr.write(`ledgerline: ${known ? (error as Error).message : `failed to start: ${(error as Error).message}`}\n`);
  process.exit(1);
});
