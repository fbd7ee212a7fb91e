import type { FastifyInstance } from 'fastify';

/**
 * Once the app is closing, closes each keep-alive connection as soon as its last response is sent.
 * Fastify closes connections that are idle when `close()` starts; without this, a connection whose
 * request was in flight at that moment stays open after the response, and the shutdown waits for
 * the client's keep-alive timeout instead of finishing when the work does.
 */
export function closeConnectionsWhenDrained(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onResponse', async () => {
    // The response has just finished; the next tick is when Node counts its connection as idle.
    if (closing) setImmediate(() => app.server.closeIdleConnections());
  });
}
