import Type, { type Static } from 'typebox';

/** Postgres connection settings shared by every process that talks to the database. */
export const DatabaseConfigSchema = Type.Object({
  /** The Postgres database, `postgresql://user@host:port/name`. */
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    default: 'postgresql://root@127.0.0.1:5432/ledgerline',
  }),
  /** Connections one database client keeps at most (compliance-worker opens two clients: screening has its own). */
  DATABASE_POOL_SIZE_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** A statement running longer is cancelled by Postgres (its transaction rolls back and is retried or refused). */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
});
export type DatabaseConfig = Static<typeof DatabaseConfigSchema>;

/** Redis connection settings; the prefix keeps tests and deployments apart on one server. */
export const RedisConfigSchema = Type.Object({
  /** The Redis server of the queues, rate limits and login lockouts (`rediss://` for TLS). */
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  /** Prefix of every Redis key: deployments (and test runs) sharing one Redis keep apart by it. Every process of one platform must use the same. */
  QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'ledgerline' }),
});
export type RedisConfig = Static<typeof RedisConfigSchema>;

/** Where an HTTP service listens, and how long it waits for in-flight requests on shutdown. */
export const HttpConfigSchema = Type.Object({
  /** The address the service listens on (`0.0.0.0` in a container). */
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** The port the service listens on; 0 picks a free one. */
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3000 }),
  /** How long shutdown may take (in-flight requests or jobs finish first) before the process exits with 1. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 10_000 }),
  /** A request body larger than this is refused with 413. */
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024 }),
});
export type HttpConfig = Static<typeof HttpConfigSchema>;

/**
 * The operations port of a process without an API (relay, workers): `/healthz`, `/readyz` and
 * `/metrics`. 0, the default, opens none; a deployment that probes or scrapes the process sets it.
 */
export const OpsConfigSchema = Type.Object({
  /** The address the operations port listens on. */
  OPS_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** The operations port (`/healthz`, `/readyz`, `/metrics`); 0 opens none. */
  OPS_PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 0 }),
});
export type OpsConfig = Static<typeof OpsConfigSchema>;

export const LogConfigSchema = Type.Object({
  /** The lowest level written (JSON lines on stdout). */
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
});
export type LogConfig = Static<typeof LogConfigSchema>;
