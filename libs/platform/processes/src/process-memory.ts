import { readFileSync } from 'node:fs';

export interface MemorySample {
  /** VmRSS: the resident set now. */
  rss_bytes: number;
  /** VmHWM: the largest resident set the process has had since it started. */
  peak_rss_bytes: number;
}

/** A process's memory from /proc/<pid>/status; undefined where there is no /proc or no such process. */
export function readProcessMemory(pid: number): MemorySample | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const bytes = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss_bytes: bytes('VmRSS'), peak_rss_bytes: bytes('VmHWM') };
}
