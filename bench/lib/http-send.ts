import http from 'node:http';

export interface HttpRequestSpec {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type HttpAnswer =
  | {
      ok: true;
      status: number;
      body: string;
      /** When the agent gave the request a socket (`performance.now()`); until then it waited for one. */
      socket_at: number;
    }
  | { ok: false; error: string };

/** A keep-alive pool of exactly `connections` sockets to one origin; requests beyond it wait in the agent. */
export function keepAliveAgent(connections: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
}

/**
 * Sends one request and reads the whole answer; never rejects (a transport error is an answer too).
 * The timeout runs from this call, so time spent waiting for a pooled socket counts against it.
 */
export function send(
  agent: http.Agent,
  origin: URL,
  request: HttpRequestSpec,
  timeout_ms: number,
): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    let socket_at = Number.NaN;
    const settle = (answer: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const headers =
      request.body === undefined
        ? request.headers
        : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
    const outgoing = http.request(
      {
        agent,
        host: origin.hostname,
        port: origin.port,
        method: request.method,
        path: request.path,
        headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          settle({
            ok: true,
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            socket_at,
          }),
        );
        response.on('error', (error) => settle({ ok: false, error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      settle({ ok: false, error: 'timeout' });
      outgoing.destroy(new Error('timeout'));
    }, timeout_ms);
    outgoing.on('socket', () => {
      socket_at = performance.now();
    });
    outgoing.on('error', (error) => settle({ ok: false, error: error.message }));
    outgoing.end(request.body);
  });
}
