import { existsSync } from 'node:fs';

/**
 * Where the test run's Postgres and Redis come from: explicit URLs win, then containers when a Docker
 * engine is reachable, then the local defaults of a developer machine and CI.
 */
export interface TestServices {
  /** A URL to any database on the server; test databases are created beside it. */
  postgres_server_url: string;
  redis_url: string;
  /** Unique to this run; every database and queue prefix the run creates starts with it. */
  run_id: string;
  template_database: string;
}

// What the global setup hands every test worker (vitest `provide`/`inject`).
declare module 'vitest' {
  export interface ProvidedContext {
    ledgerlineTestServices: TestServices;
  }
}

export const LOCAL_POSTGRES_URL = 'postgresql://root@127.0.0.1:5432/postgres';
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export function dockerEngineReachable(environment: NodeJS.ProcessEnv): boolean {
  return Boolean(environment['DOCKER_HOST']) || existsSync('/var/run/docker.sock');
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
