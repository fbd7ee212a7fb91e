import path from 'node:path';
import { bundleEntry, freePort, WORKSPACE_ROOT } from '@ledgerline/processes';
import { closedLoopGet } from '../lib/closed-loop';
import { openLoop } from '../lib/open-loop';
import { benchProcess } from '../lib/processes';
import type { Scenario } from '../lib/context';

/**
 * Reference B, the HTTP limit: a bare Fastify hello-world in its own process, measured with the same
 * load generator and connection count as the platform's HTTP figures, then open-loop at the accept
 * scenario's rate for the latency reference. Its peak RSS is the memory reference.
 */
export const referenceFastify: Scenario = {
  name: 'reference-fastify',
  title: 'Reference B: bare Fastify hello-world',
  async run(context) {
    const port = await freePort();
    // Bundled and run like the apps (same Node options, no TypeScript loader), so that its figures,
    // RSS above all, are a fair reference for theirs.
    const entry = path.join(WORKSPACE_ROOT, 'bench', 'tmp', 'hello-server.mjs');
    await bundleEntry(path.join(WORKSPACE_ROOT, 'bench', 'reference', 'hello-server.ts'), entry);
    const server = benchProcess(
      { name: 'hello-fastify', entry },
      { environment: { PORT: String(port) }, ready: { http: `http://127.0.0.1:${port}`, path: '/' } },
    );
    const url = `http://127.0.0.1:${port}/`;
    server.start();
    try {
      await server.waitReady({ timeout_ms: context.settings.ready_timeout_ms });
      const { http_connections: connections, http_duration_s: duration_s } = context.settings;
      context.log(`fastify hello-world: ${connections} connections, ${duration_s} s`);
      const result = await closedLoopGet({ url, connections, duration_s });
      // The latency reference: the same open-loop sender and rate as the accept scenario.
      const rate_per_second = context.settings.accept.rate_per_second;
      const open = await openLoop({
        base_url: url,
        rate_per_second,
        duration_s,
        connections,
        timeout_ms: 10_000,
        request: () => ({ method: 'GET', path: '/', headers: {} }),
      });
      const memory = server.memory();
      const { figures } = context;
      figures.add({
        key: 'fastify.rps',
        scenario: this.name,
        label: 'Fastify hello-world',
        value: result.ok_per_second,
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
      return {
        connections,
        duration_s,
        closed_loop: result,
        open_loop: open,
        peak_rss_bytes: memory?.peak_rss_bytes,
      };
    } finally {
      await server.close();
    }
  },
};
