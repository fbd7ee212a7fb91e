import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';

/** Throwaway Postgres and Redis containers, used only when a Docker engine is reachable. */
export async function startPostgres(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const container = await new PostgreSqlContainer('postgres:16-alpine').start();
  return { url: container.getConnectionUri(), stop: () => container.stop() };
}

export async function startRedis(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const container = await new RedisContainer('redis:7-alpine').start();
  return { url: container.getConnectionUrl(), stop: () => container.stop() };
}
