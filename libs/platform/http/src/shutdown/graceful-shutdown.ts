import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export interface GracefulShutdownOptions {
  /** How long in-flight requests (and `onClose` hooks) may take before the process exits with 1. */
  grace_ms: number;
}

export interface GracefulShutdown {
  /** Removes the signal and error listeners (tests, or a second install). */
  uninstall(): void;
}

/**
 * On SIGTERM/SIGINT (or an uncaught error) closes the app: it stops accepting connections, answers
 * requests that still arrive on open connections with 503, lets in-flight requests finish and runs
 * `onClose` hooks (where apps disconnect Postgres and Redis), then exits; after `grace_ms` it exits
 * with 1 regardless. Call it from `main.ts` only: it installs process-wide listeners.
 */
export function installGracefulShutdown(
  app: FastifyInstance,
  options: GracefulShutdownOptions,
): GracefulShutdown {
  const handle = closeWithGrace({ delay: options.grace_ms, logger: app.log }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  return { uninstall: () => handle.uninstall() };
}
