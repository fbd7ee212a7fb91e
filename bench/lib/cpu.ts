import { PLATFORM_APPS, readCommandCpuMs, readProcessCpuMs } from '@ledgerline/processes';
import type { Platform } from './platform';

/** CPU ms used so far by each platform process, nginx, Postgres and Redis (user + system). */
export type CpuSnapshot = Record<string, number>;

/**
 * CPU time used so far by each platform process, nginx when it serves the base URL, and by all
 * `postgres` and `redis-server` processes of the machine (the servers the run uses; backends that exit
 * during the run take their share with them).
 */
export function platformCpuSnapshot(platform: Platform): CpuSnapshot {
  const snapshot: CpuSnapshot = {};
  for (const app of PLATFORM_APPS) {
    const pid = platform.processes.get(app)?.pid;
    const cpu_ms = pid === undefined ? undefined : readProcessCpuMs(pid);
    if (cpu_ms !== undefined) snapshot[app] = cpu_ms;
  }
  if (platform.nginx !== undefined)
    snapshot['nginx'] = platform.nginx.pids().reduce((sum, pid) => sum + (readProcessCpuMs(pid) ?? 0), 0);
  snapshot['postgres'] = readCommandCpuMs('postgres');
  snapshot['redis'] = readCommandCpuMs('redis-server');
  return snapshot;
}

/**
 * CPU ms each process spent per unit of work (a posted transfer, a request) between two snapshots.
 * A figure of its own rather than a ratio: on a shared machine throughput swings with the neighbours,
 * the CPU a unit of work costs much less, so it is what two builds are compared by.
 */
export function cpuMsPer(before: CpuSnapshot, after: CpuSnapshot, units: number): CpuSnapshot {
  const per: CpuSnapshot = {};
  for (const [name, ms] of Object.entries(after)) {
    const start = before[name];
    if (start !== undefined && units > 0) per[name] = (ms - start) / units;
  }
  return per;
}
