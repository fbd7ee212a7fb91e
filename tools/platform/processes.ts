import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ServiceSpec {
  name: string;
  /** The app's main.ts, run through tsx. */
  entry: string;
  environment: Record<string, string>;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  restarts: number;
  stopping: boolean;
}

const RESTARTS_MAX = 5;
const STOP_GRACE_MS = 15_000;
const PINO_WARN = 40;

/**
 * Runs every app as its own process. Full logs go to `.data/logs/<app>.log`; warnings and errors are
 * echoed to the console with the app's name. An app that dies is restarted a bounded number of times.
 */
export class ProcessSupervisor {
  private readonly running = new Map<string, Running>();
  private readonly logs = new Map<string, WriteStream>();

  constructor(private readonly logDirectory: string) {}

  async start(spec: ServiceSpec): Promise<void> {
    await mkdir(this.logDirectory, { recursive: true });
    const log = createWriteStream(path.join(this.logDirectory, `${spec.name}.log`), { flags: 'a' });
    this.logs.set(spec.name, log);
    this.launch({ spec, restarts: 0, stopping: false, child: undefined as unknown as ChildProcess });
  }

  private launch(state: Running): void {
    const child = spawn(process.execPath, ['--import', 'tsx', state.spec.entry], {
      env: { ...process.env, ...state.spec.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.child = child;
    this.running.set(state.spec.name, state);
    const log = this.logs.get(state.spec.name)!;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        if (shouldEcho(line)) process.stdout.write(`[${state.spec.name}] ${summarize(line)}\n`);
      });
    }
    child.on('exit', (code, signal) => {
      if (state.stopping) return;
      if (state.restarts >= RESTARTS_MAX) {
        process.stdout.write(`[${state.spec.name}] exited (${signal ?? code}); not restarting after ${RESTARTS_MAX} restarts\n`);
        return;
      }
      state.restarts += 1;
      const delay_ms = 500 * 2 ** state.restarts;
      process.stdout.write(`[${state.spec.name}] exited (${signal ?? code}); restarting in ${delay_ms} ms\n`);
      setTimeout(() => {
        if (!state.stopping) this.launch(state);
      }, delay_ms).unref();
    });
  }

  /** SIGTERM to every app, SIGKILL to any still running after the grace period. */
  async stopAll(): Promise<void> {
    const exits = [...this.running.values()].map((state) => {
      state.stopping = true;
      if (state.child.exitCode !== null || state.child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => state.child.kill('SIGKILL'), STOP_GRACE_MS);
        state.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        state.child.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
    for (const log of this.logs.values()) log.end();
  }
}

function shouldEcho(line: string): boolean {
  if (!line.startsWith('{')) return line.trim().length > 0;
  try {
    return ((JSON.parse(line) as { level?: number }).level ?? 0) >= PINO_WARN;
  } catch {
    return true;
  }
}

function summarize(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    return [record.msg, record.err?.message].filter(Boolean).join(': ');
  } catch {
    return line;
  }
}
