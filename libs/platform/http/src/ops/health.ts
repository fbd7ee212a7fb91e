import type { FastifyInstance } from 'fastify';

/** A readiness check resolves when the dependency is usable and rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthOptions {
  readiness_checks: Readonly<Record<string, ReadinessCheck>>;
  readiness_timeout_ms: number;
}

/**
 * `/healthz` answers 200 while the process can serve HTTP at all (for restarts); `/readyz` runs every
 * readiness check (database, Redis, ...) concurrently and answers 503 naming the failed ones (for
 * load balancers). Neither is in the API document.
 */
export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    const names = Object.keys(options.readiness_checks);
    const outcomes = await Promise.all(
      names.map((name) => withTimeout(options.readiness_checks[name]!, options.readiness_timeout_ms)),
    );
    const checks: Record<string, 'ok' | 'failed'> = {};
    const failed: string[] = [];
    outcomes.forEach((outcome, index) => {
      const name = names[index]!;
      checks[name] = outcome.ok ? 'ok' : 'failed';
      if (!outcome.ok) {
        failed.push(name);
        request.log.warn({ check: name, err: outcome.error }, 'readiness check failed');
      }
    });
    reply.code(failed.length === 0 ? 200 : 503);
    return { status: failed.length === 0 ? 'ready' : 'unavailable', checks, failed };
  });
}

async function withTimeout(
  check: ReadinessCheck,
  timeout_ms: number,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout_ms} ms`)), timeout_ms);
  });
  try {
    // `then` also turns a check that throws synchronously into a failed outcome.
    await Promise.race([Promise.resolve().then(check), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}
