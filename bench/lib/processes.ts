import { freePort, waitUntil } from '@ledgerline/processes';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const WORKSPACE_ROOT = path.resolve(import.meta.dirname, '../..');
/** Each process's full output of the last run, for finding a bottleneck after the fact (git-ignored). */
export const LOG_DIRECTORY = path.join(WORKSPACE_ROOT, 'bench', 'tmp', 'logs');
/** Where `--profile` makes every platform process write its CPU profile when it stops. */
export const PROFILE_DIRECTORY = path.join(WORKSPACE_ROOT, 'bench', 'tmp', 'profiles');

const STOP_GRACE_MS = 15_000;
const OUTPUT_LINES_MAX = 400;
const PINO_WARN = 40;

export interface MemorySample {
  rss_bytes: number;
  /** VmHWM: the largest resident set the process has had since it started. */
  peak_rss_bytes: number;
}

/**
 * One TypeScript entry run as its own Node process (through tsx), like the launcher does, but with its
 * pid at hand so the benchmark can read its memory from /proc. The last lines of output are kept for
 * error messages.
 */
export class BenchProcess {
  private child: ChildProcess | undefined;
  private readonly lines: string[] = [];
  private last_memory: MemorySample | undefined;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly environment: Record<string, string>,
    /** Extra Node options, e.g. `--cpu-prof`. */
    private readonly node_options: readonly string[] = [],
  ) {}

  start(): void {
    const child = spawn(
      process.execPath,
      [...this.node_options, '--import', 'tsx', path.resolve(WORKSPACE_ROOT, this.entry)],
      {
        cwd: WORKSPACE_ROOT,
        env: { ...process.env, ...this.environment },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    mkdirSync(LOG_DIRECTORY, { recursive: true });
    const log = createWriteStream(this.logFile, { flags: 'w' });
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of chunk.toString().split('\n'))
        if (line.length > 0) this.lines.push(line.slice(0, 2_000));
      if (this.lines.length > OUTPUT_LINES_MAX) this.lines.splice(0, this.lines.length - OUTPUT_LINES_MAX);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => log.end());
  }

  get logFile(): string {
    return path.join(LOG_DIRECTORY, `${this.name}.log`);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Current and peak RSS (Linux only; undefined elsewhere or once the process is gone). */
  memory(): MemorySample | undefined {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return this.last_memory;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kilobytes = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
      this.last_memory = { rss_bytes: kilobytes('VmRSS') * 1024, peak_rss_bytes: kilobytes('VmHWM') * 1024 };
    } catch {
      // The process exited between the check and the read.
    }
    return this.last_memory;
  }

  /** SIGTERM, then SIGKILL after a grace period. Reads memory first: /proc forgets the process on exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.memory();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** The last few lines worth showing in an error: warnings and errors of pino's JSON, and any plain text. */
  notableOutput(lines = 8): string {
    const notable = this.lines.filter((line) => {
      if (!line.startsWith('{')) return true;
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 0) >= PINO_WARN;
      } catch {
        return true;
      }
    });
    const shown = notable.slice(-lines).join('\n') || '(no warnings or errors in its output)';
    return `${shown}\n(full output: ${path.relative(WORKSPACE_ROOT, this.logFile)})`;
  }
}



/** Waits until an HTTP process answers `GET <path>` with 2xx; fails fast if the process exits. */
export async function waitForReady(
  process_: BenchProcess,
  baseUrl: string,
  timeout_ms: number,
  probe_path = '/readyz',
): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    if (!process_.running)
      throw new Error(`${process_.name} exited before it was ready:\n${process_.notableOutput()}`);
    const ready = await fetch(`${baseUrl}${probe_path}`, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new Error(
    `${process_.name} did not answer ${baseUrl}${probe_path} within ${timeout_ms} ms:\n${process_.notableOutput()}`,
  );
}

export { freePort, waitUntil };
