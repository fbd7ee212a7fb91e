import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ScenarioSkipped } from '../lib/figures';
import { createDatabase, uniqueName } from '../lib/postgres';
import type { Scenario } from '../lib/context';

const run = promisify(execFile);

interface PgbenchRun {
  tps: number;
  latency_average_ms: number;
}

/**
 * Reference A, the database's own limit: pgbench's TPC-B-like script against its own database on the
 * same Postgres server the platform uses. The database stays until the end of the run, so the
 * reference can be measured again (shorter) after each scenario that compares against it.
 */
export const referencePgbench: Scenario = {
  name: 'reference-pgbench',
  title: 'Reference A: pgbench TPC-B',
  async run(context) {
    const { scale, clients, threads, duration_s } = context.settings.pgbench;
    const version = await run('pgbench', ['--version'], { timeout: 10_000 }).catch(() => undefined);
    if (!version) throw new ScenarioSkipped('pgbench is not installed (apt-get install postgresql-client)');
    const database = await createDatabase(context.postgres_server_url, uniqueName('bench_pgbench'));
    context.defer(database.drop);
    context.log(`pgbench: initializing scale ${scale}`);
    await run('pgbench', ['-i', '-q', '-s', String(scale), database.url], { timeout: 300_000 });
    const measure = async (seconds: number): Promise<PgbenchRun> => {
      context.log(`pgbench: ${clients} clients, ${threads} threads, ${seconds} s`);
      const { stdout } = await run(
        'pgbench',
        ['-c', String(clients), '-j', String(threads), '-T', String(seconds), database.url],
        { timeout: (seconds + 120) * 1_000 },
      );
      const tps = Number(/^tps = ([\d.]+)/m.exec(stdout)?.[1] ?? Number.NaN);
      const latency_average_ms = Number(/^latency average = ([\d.]+) ms/m.exec(stdout)?.[1] ?? Number.NaN);
      if (!Number.isFinite(tps)) throw new Error(`could not read tps from pgbench's output:\n${stdout}`);
      return { tps, latency_average_ms };
    };

    const { tps, latency_average_ms } = await measure(duration_s);
    context.figures.add({
      key: 'pgbench.tps',
      scenario: this.name,
      label: 'pgbench TPC-B',
      value: tps,
      unit: 'tps',
    });
    context.figures.add({
      key: 'pgbench.latency',
      scenario: this.name,
      label: 'pgbench TPC-B latency average',
      value: latency_average_ms,
      unit: 'ms',
    });
    context.references.register('pgbench.tps', tps, async () => {
      return (await measure(context.settings.recheck.pgbench_duration_s)).tps;
    });
    return {
      scale,
      clients,
      threads,
      duration_s,
      tps,
      latency_average_ms,
      pgbench_version: version.stdout.trim(),
    };
  },
};
