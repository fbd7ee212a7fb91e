import path from 'node:path';
import { bundleEntry, freePort, WORKSPACE_ROOT, type MemorySample } from '@ledgerline/processes';
import { closedLoopGet } from '../lib/closed-loop';
import type { BenchContext, Scenario } from '../lib/context';
import { openLoop } from '../lib/open-loop';
import { benchProcess } from '../lib/processes';

/**
 * Reference B, the HTTP limit: a bare Fastify hello-world in its own process, measured with the same
 * load generator and connection count as the platform's HTTP figures, then open-loop at the accept
 * scenario's rate for the latency reference. Its peak RSS is the memory reference. Its req/s is
 * measured again (shorter, in a new process) after each scenario that compares against it.
 */
export const referenceFastify: Scenario = {
  name: 'reference-fastify',
  title: 'Reference B: bare Fastify hello-world',
  async run(context) {
    // Bundled and run like the apps (same Node options, no TypeScript loader), so that its figures,
    // RSS above all, are a fair reference for theirs.
    const entry = path.join(WORKSPACE_ROOT, 'bench', 'tmp', 'hello-server.mjs');
    await bundleEntry(path.join(WORKSPACE_ROOT, 'bench', 'reference', 'hello-server.ts'), entry);
    const { http_connections: connections, http_duration_s: duration_s } = context.settings;
    const rate_per_second = context.settings.accept.rate_per_second;
    const { value, memory } = await withHelloServer(entry, context, async (url) => {
      context.log(`fastify hello-world: ${connections} connections, ${duration_s} s`);
      const closed = await closedLoopGet({ url, connections, duration_s });
      // The latency reference: the same open-loop sender and rate as the accept scenario.
      const open = await openLoop({
        base_url: url,
        rate_per_second,
        duration_s,
        connections: context.settings.open_loop_connections,
        timeout_ms: 10_000,
        request: () => ({ method: 'GET', path: '/', headers: {} }),
      });
      return { closed, open };
    });
    const { closed, open } = value;

    const { figures } = context;
    figures.add({
      key: 'fastify.rps',
      scenario: this.name,
      label: 'Fastify hello-world',
      value: closed.ok_per_second,
      unit: 'req/s',
    });
    figures.add({
      key: 'fastify.p50',
      scenario: this.name,
      label: `Fastify hello-world p50 at ${rate_per_second}/s`,
      value: open.latency.p50_ms,
      unit: 'ms',
    });
    figures.add({
      key: 'fastify.p99',
      scenario: this.name,
      label: `Fastify hello-world p99 at ${rate_per_second}/s`,
      value: open.latency.p99_ms,
      unit: 'ms',
    });
    if (memory)
      figures.add({
        key: 'fastify.rss',
        scenario: this.name,
        label: 'Fastify hello-world peak RSS',
        value: memory.peak_rss_bytes / 2 ** 20,
        unit: 'MB',
      });
    context.references.register('fastify.rps', closed.ok_per_second, async () => {
      const again = await withHelloServer(entry, context, (url) =>
        closedLoopGet({ url, connections, duration_s: context.settings.recheck.fastify_duration_s }),
      );
      return again.value.ok_per_second;
    });
    return {
      connections,
      duration_s,
      closed_loop: closed,
      open_loop: open,
      peak_rss_bytes: memory?.peak_rss_bytes,
    };
  },
};

/** Runs `measure` against a fresh hello-world process on a spare port; returns its result and the process's memory. */
async function withHelloServer<T>(
  entry: string,
  context: BenchContext,
  measure: (url: string) => Promise<T>,
): Promise<{ value: T; memory: MemorySample | undefined }> {
  const port = await freePort();
  const server = benchProcess(
    { name: 'hello-fastify', entry },
    { environment: { PORT: String(port) }, ready: { http: `http://127.0.0.1:${port}`, path: '/' } },
  );
  server.start();
  try {
    await server.waitReady({ timeout_ms: context.settings.ready_timeout_ms });
    const value = await measure(`http://127.0.0.1:${port}/`);
    return { value, memory: server.memory() };
  } finally {
    await server.close();
  }
}
