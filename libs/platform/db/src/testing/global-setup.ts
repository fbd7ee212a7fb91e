import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../migrator/migrator';
import {
  dockerEngineReachable,
  LOCAL_POSTGRES_URL,
  LOCAL_REDIS_URL,
  withDatabase,
  type TestServices,
} from './environment';

/**
 * Vitest global setup: finds Postgres and Redis, migrates one template database per run (each test
 * file then clones it in milliseconds), and drops everything the run created when it ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const environment = process.env;
  const stops: Array<() => Promise<unknown>> = [];
  let postgresUrl = environment['DATABASE_URL'];
  let redisUrl = environment['REDIS_URL'];
  if ((!postgresUrl || !redisUrl) && dockerEngineReachable(environment)) {
    const containers = await import('./containers');
    if (!postgresUrl) {
      const postgres = await containers.startPostgres();
      postgresUrl = postgres.url;
      stops.push(postgres.stop);
    }
    if (!redisUrl) {
      const redis = await containers.startRedis();
      redisUrl = redis.url;
      stops.push(redis.stop);
    }
  }
  const services: TestServices = {
    postgres_server_url: postgresUrl ?? LOCAL_POSTGRES_URL,
    redis_url: redisUrl ?? LOCAL_REDIS_URL,
    run_id: `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
    template_database: '',
  };
  services.template_database = `ledgerline_${services.run_id}_template`;

  await adminQuery(services.postgres_server_url, `CREATE DATABASE "${services.template_database}"`);
  await migrate(withDatabase(services.postgres_server_url, services.template_database));
  project.provide('ledgerlineTestServices', services);

  return async () => {
    await dropRunDatabases(services);
    for (const stop of stops) await stop();
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function dropRunDatabases(services: TestServices): Promise<void> {
  const { rows } = await adminQuery(
    services.postgres_server_url,
    `SELECT datname FROM pg_database WHERE datname LIKE 'ledgerline\\_${services.run_id}\\_%'`,
  );
  for (const { datname } of rows as Array<{ datname: string }>) {
    await adminQuery(services.postgres_server_url, `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}
