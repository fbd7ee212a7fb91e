/**
 * Messages ioredis gives a command that never reached Redis: the connection is down and the command
 * was refused at once (producer connections keep no offline queue) or dropped when the socket closed.
 */
const UNREACHABLE_MESSAGES = new Set([
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Connection is closed.',
]);

/** Socket errors of a connection lost mid-command. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Redis's own replies while it cannot serve yet (loading its data, busy with a script, a replica). */
const TRANSIENT_REPLY_PREFIXES = ['LOADING', 'BUSY', 'READONLY', 'MASTERDOWN', 'TRYAGAIN'];

/** A Redis command not even tried, because the connection is down (see {@link requireReadyConnection}). */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor(connection_name: string | undefined) {
    super(`Redis connection ${connection_name ?? '(unnamed)'} is not ready`);
  }
}

/**
 * Throws {@link RedisUnavailableError} unless `connection` is ready. Call it before work through
 * BullMQ on a shared connection: BullMQ waits, without a deadline, for a connection that has never
 * been ready, so without this check a request made while Redis is down would hang instead of failing.
 */
export function requireReadyConnection(connection: {
  status: string;
  options: { connectionName?: string };
}): void {
  if (connection.status !== 'ready') throw new RedisUnavailableError(connection.options.connectionName);
}

/**
 * Says whether an error from a Redis command is a passing outage (Redis restarting or unreachable),
 * so that an HTTP service answers 503 `unavailable` with Retry-After rather than 500: nothing was
 * changed and the caller may retry. ioredis throws plain `Error`s for these, hence the messages.
 */
export function isTransientRedisError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof RedisUnavailableError) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (UNREACHABLE_MESSAGES.has(error.message)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  return (
    error.name === 'ReplyError' && TRANSIENT_REPLY_PREFIXES.some((prefix) => error.message.startsWith(prefix))
  );
}
