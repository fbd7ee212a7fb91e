import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * helmet's default security headers (CSP, HSTS, nosniff, frame and referrer policies, ...) on every
 * response. With its defaults helmet sets the same headers on every response whatever the request (no
 * nonces, nothing read from the request), so its middleware runs once, at startup, against a response
 * that only records what it is told, and each request gets the recorded headers in one call. Running
 * its eleven middlewares per request was about 4% of a balance read's CPU (and @fastify/helmet 13 also
 * builds them again on every request, parsing the CSP directives each time). No route here needs
 * headers of its own.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  const headers = helmetHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

/** The headers helmet's middleware sets (lower-case names). It also removes X-Powered-By, which Fastify never sends. */
export function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error;
    finished = true;
  });
  // helmet 8 is synchronous; should a later version not be, its headers would silently go missing.
  if (!finished) throw new Error('helmet did not finish synchronously');
  return Object.freeze(headers);
}
