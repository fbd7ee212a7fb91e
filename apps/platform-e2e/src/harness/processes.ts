import { freePort, waitUntil } from '@ledgerline/processes';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const WORKSPACE_ROOT = path.resolve(import.meta.dirname, '../../../..');


/** One app of the platform running as a real OS process, so tests can SIGKILL and restart it. */
export class AppProcess {
  private child: ChildProcess | undefined;
  readonly output: string[] = [];

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly environment: Record<string, string>,
  ) {}

  start(): void {
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(WORKSPACE_ROOT, this.entry)], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...this.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 2_000) this.output.splice(0, 1_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the process gets no chance to finish anything, like a crashed machine. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait, as an orchestrator stopping the app. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  recentOutput(): string {
    return this.output.join('').slice(-4_000);
  }
}


export async function waitForHttpReady(baseUrl: string, app: AppProcess, timeout_ms = 150_000): Promise<void> {
  await waitUntil(
    async () => {
      if (!app.running) throw new Error(`${app.name} exited:\n${app.recentOutput()}`);
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
      return response.ok;
    },
    { timeout_ms, interval_ms: 100, what: `${app.name} at ${baseUrl}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${app.recentOutput()}`);
  });
}

export { freePort, waitUntil };
