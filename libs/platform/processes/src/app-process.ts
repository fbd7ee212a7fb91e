import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_NODE_OPTIONS, builtEntryOf, WORKSPACE_ROOT, type PlatformApp } from './build-apps';
import { OutputTail } from './output-tail';
import { readProcessMemory, type MemorySample } from './process-memory';

/** What the process runs: a platform app's built entry, or any other plain JavaScript file. */
export type AppProgram = PlatformApp | { name: string; entry: string };

/** Ready when `GET <http><path>` answers 2xx (path `/readyz` unless given), or once a log line has `"msg":"<log_message>"`. */
export type AppReadiness = { http: string; path?: string } | { log_message: string };

export type AppProcessEvent =
  | { kind: 'started'; pid: number | undefined }
  | {
      kind: 'exited';
      pid: number | undefined;
      code: number | null;
      signal: NodeJS.Signals | null;
      /** Caused by kill(), stop() or close(), not by the app itself. */
      planned: boolean;
      /** Set when supervision restarts it after this long. */
      restart_in_ms?: number;
    };

export interface AppProcessOptions {
  /** Merged over this process's environment. */
  environment?: Record<string, string>;
  /** Node options after APP_NODE_OPTIONS, e.g. `--cpu-prof`. */
  node_options?: readonly string[];
  /** Every output line goes here, with a JSON line for each start and exit; the folder is created. */
  log_file?: string;
  /** `append` (default) keeps what earlier runs wrote; `truncate` starts the file afresh. */
  log_mode?: 'append' | 'truncate';
  /** How many output lines to keep for error messages (default 400). */
  output_lines?: number;
  /** Called with every output line (stdout and stderr). */
  on_line?(line: string): void;
  /** Called when a process starts or exits (e.g. to record pids that must not outlive the caller). */
  on_event?(event: AppProcessEvent): void;
  ready?: AppReadiness;
  /** Its own process group: a Ctrl-C in the terminal then reaches only the parent. */
  detached?: boolean;
  /**
   * Restart after an exit nobody asked for, as an orchestrator would. `restart_delay_ms(n)` is the wait
   * before the n-th restart (1, 2, ...); undefined leaves the app down.
   */
  supervise?: { restart_delay_ms(restart: number): number | undefined };
  /** How long stop() waits after SIGTERM before SIGKILL (default 15 s). */
  stop_grace_ms?: number;
}

/**
 * One app of the platform as its own OS process, running its built entry (see buildApps) with
 * `node`, so that callers can SIGKILL, stop, restart and measure it. The launcher, the e2e suite, the
 * benchmarks and the chaos test all run apps through this class.
 */
export class AppProcess {
  readonly name: string;
  /** Exits that kill(), stop() or close() did not cause. */
  unplanned_exits = 0;
  restarts = 0;
  private readonly entry: string;
  private readonly tail: OutputTail;
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private planned_exit = false;
  private closed = false;
  private logged_ready = false;
  private restart_timer: NodeJS.Timeout | undefined;
  private last_memory: MemorySample | undefined;

  constructor(
    program: AppProgram,
    private readonly options: AppProcessOptions = {},
  ) {
    this.name = typeof program === 'string' ? program : program.name;
    this.entry = typeof program === 'string' ? builtEntryOf(program) : program.entry;
    this.tail = new OutputTail(options.output_lines);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string | undefined {
    return this.options.log_file;
  }

  /** Starts the process unless it runs already or close() was called. */
  start(): void {
    if (this.running || this.closed) return;
    clearTimeout(this.restart_timer);
    this.planned_exit = false;
    this.logged_ready = false;
    this.log ??= this.openLog();
    const child = spawn(
      process.execPath,
      [...APP_NODE_OPTIONS, ...(this.options.node_options ?? []), this.entry],
      {
        cwd: WORKSPACE_ROOT,
        env: { ...process.env, ...this.options.environment },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: this.options.detached ?? false,
      },
    );
    this.child = child;
    child.once('error', (error) => this.tail.push(`${this.name}: ${error.message}`));
    this.note(`started pid ${child.pid}`);
    this.options.on_event?.({ kind: 'started', pid: child.pid });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.onLine(line));
    }
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
  }

  /** SIGKILL: the app gets no chance to finish anything, like a crashed machine. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** SIGTERM as an orchestrator stopping the app, SIGKILL if it is still there after the grace period. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  /** Stops the app for good (no start or restart after this) and closes its log file. */
  async close({ signal = 'SIGTERM' }: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    this.closed = true;
    await this.terminate(signal);
    const log = this.log;
    if (log && !log.writableEnded) await new Promise<void>((resolve) => log.end(resolve));
  }

  /** Current and peak resident set, from /proc (Linux); the last sample once the process is gone. */
  memory(): MemorySample | undefined {
    const pid = this.child?.pid;
    if (pid !== undefined && this.running) this.last_memory = readProcessMemory(pid) ?? this.last_memory;
    return this.last_memory;
  }

  async isReady(): Promise<boolean> {
    if (!this.running) return false;
    const ready = this.options.ready;
    if (!ready) return true;
    if ('log_message' in ready) return this.logged_ready;
    try {
      const response = await fetch(`${ready.http}${ready.path ?? '/readyz'}`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Waits until isReady(); fails at once if the app exits and no restart will bring it back. */
  async waitReady({
    timeout_ms,
    interval_ms = 100,
  }: {
    timeout_ms: number;
    interval_ms?: number;
  }): Promise<void> {
    const deadline = Date.now() + timeout_ms;
    for (;;) {
      if (await this.isReady()) return;
      if (!this.running && (this.closed || !this.options.supervise))
        throw new Error(`${this.name} exited before it was ready:\n${this.notableOutput()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} was not ready within ${timeout_ms} ms:\n${this.notableOutput()}`);
      await sleep(interval_ms);
    }
  }

  /** The output lines kept (see `output_lines`), oldest first. */
  get outputLines(): readonly string[] {
    return this.tail.lines;
  }

  /** For an error message: the last warnings and errors (else the last lines), and where the full output is. */
  notableOutput(count = 8): string {
    const notable = this.tail.notable(count);
    const shown = (notable.length > 0 ? notable : this.tail.lines.slice(-count)).join('\n') || '(no output)';
    const file = this.options.log_file;
    return file ? `${shown}\n(full output: ${path.relative(WORKSPACE_ROOT, file)})` : shown;
  }

  private async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    clearTimeout(this.restart_timer);
    const child = this.child;
    if (!child || !this.running) return;
    this.planned_exit = true;
    // /proc forgets the process once it exits.
    this.memory();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const escalation = setTimeout(() => child.kill('SIGKILL'), this.options.stop_grace_ms ?? 15_000);
    await exited;
    clearTimeout(escalation);
  }

  private onLine(line: string): void {
    // A killed child's last lines can arrive after close() ended the log: they are dropped.
    if (this.log && !this.log.writableEnded) this.log.write(`${line}\n`);
    this.tail.push(line);
    const ready = this.options.ready;
    if (
      !this.logged_ready &&
      ready &&
      'log_message' in ready &&
      line.includes(`"msg":"${ready.log_message}"`)
    )
      this.logged_ready = true;
    this.options.on_line?.(line);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const current = this.child === child;
    const planned = !current || this.planned_exit || this.closed;
    let restart_in_ms: number | undefined;
    if (!planned) {
      this.unplanned_exits += 1;
      restart_in_ms = this.options.supervise?.restart_delay_ms(this.restarts + 1);
      if (restart_in_ms !== undefined) {
        this.restarts += 1;
        this.restart_timer = setTimeout(() => {
          if (this.child === child) this.start();
        }, restart_in_ms).unref();
      }
    }
    const how = signal ?? `code ${code}`;
    this.note(
      planned
        ? `exited (${how})`
        : `exited by itself (${how}); ${restart_in_ms === undefined ? 'not restarting' : `restarting in ${restart_in_ms} ms`}`,
    );
    this.options.on_event?.({ kind: 'exited', pid: child.pid, code, signal, planned, restart_in_ms });
  }

  private openLog(): WriteStream | undefined {
    const file = this.options.log_file;
    if (!file) return undefined;
    mkdirSync(path.dirname(file), { recursive: true });
    return createWriteStream(file, { flags: this.options.log_mode === 'truncate' ? 'w' : 'a' });
  }

  /** The process's own lifecycle, as a JSON line between the app's own in its log file. */
  private note(message: string): void {
    if (this.log && !this.log.writableEnded)
      this.log.write(`${JSON.stringify({ process: message, time: new Date().toISOString() })}\n`);
  }
}
