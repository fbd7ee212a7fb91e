import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino, type DestinationStream } from 'pino';

let stdout: (DestinationStream & { flushSync(): void }) | undefined;

/**
 * Standard output for every logger of the process, written asynchronously: a log line costs a copy
 * into a buffer instead of a blocking write(2), and under load several lines leave in one write.
 * Nothing waits for a buffer to fill (`minLength` 0), so an idle service's lines still appear at
 * once. On exit, also after an uncaught error, the buffer is flushed; a SIGKILL loses what it held.
 * One destination per process, shared by all its loggers, so their lines never interleave mid-line.
 */
export function stdoutLogDestination(): DestinationStream {
  if (stdout === undefined) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 0 });
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout is gone (a closed pipe): nothing left to write to.
      }
    });
    stdout = destination;
  }
  return stdout;
}

/**
 * The one access line of a request, written when it completes (an `onResponse` hook). It lives here,
 * beside the destination, rather than in `@ledgerline/http`, so the gateway can log like the services
 * without loading the service app's plugins.
 */
export async function logRequestCompleted(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  request.log.info(
    {
      method: request.method,
      path: request.url.split('?', 1)[0],
      status: reply.statusCode,
      response_time_ms: reply.elapsedTime,
    },
    'request completed',
  );
}
