import type { Redis } from 'ioredis';
import type { Database } from '@ledgerline/db';
import type { ReadinessCheck } from '@ledgerline/http';

/**
 * What `/readyz` asks of every Ledgerline process, API or worker: the database answers a statement and
 * Redis a PING (on a connection that refuses commands while it is down, rather than queueing them).
 */
export function databaseAndRedisChecks(
  db: Database,
  redis: Redis,
): Record<'database' | 'redis', ReadinessCheck> {
  return {
    database: () => db.$queryRaw`SELECT 1`,
    redis: () => redis.ping(),
  };
}
