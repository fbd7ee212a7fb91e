import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineInfo {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpu_model: string;
  cpu_count: number;
  memory_total_bytes: number;
  load_average_at_start: number[];
  node_version: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cpu_count: cpus.length,
    memory_total_bytes: os.totalmem(),
    load_average_at_start: os.loadavg(),
    node_version: process.version,
  };
}

export interface GitInfo {
  commit: string;
  /** True when the work tree had uncommitted changes: the figures then describe more than the commit. */
  dirty: boolean;
}

export async function gitInfo(cwd: string): Promise<GitInfo> {
  try {
    const { stdout: commit } = await run('git', ['rev-parse', 'HEAD'], { cwd, timeout: 10_000 });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      timeout: 10_000,
    });
    return { commit: commit.trim(), dirty: status.trim().length > 0 };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}
