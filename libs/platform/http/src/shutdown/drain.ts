import type { FastifyInstance } from 'fastify';
import { brieflyUnavailable } from '../problems/problem-error';

/**
 * How an app behaves once `close()` has begun. A request that still arrives on an open keep-alive
 * connection gets a 503 `unavailable` problem with Retry-After and `Connection: close` (register this
 * after the hook that sets `x-request-id`, so it carries one like every other answer), instead of
 * Fastify's own bare 503. And each keep-alive connection is closed as soon as its last response is
 * sent: Fastify closes connections that are idle when `close()` starts; without this, a connection
 * whose request was in flight at that moment stays open after the response, and the shutdown waits
 * for the client's keep-alive timeout instead of finishing when the work does.
 */
export function refuseAndDrainWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (!closing) return;
    throw brieflyUnavailable('The service is shutting down; retry, another instance will answer.', {
      connection: 'close',
    });
  });
  app.addHook('onResponse', async () => {
    // The response has just finished; the next tick is when Node counts its connection as idle.
    if (closing) setImmediate(() => app.server.closeIdleConnections());
  });
}
