import path from 'node:path';
import { AppProcess, isNotableLine, summarizeLine, type PlatformApp } from '@ledgerline/processes';

const RESTARTS_MAX = 5;

/**
 * The launcher's apps: each runs its built entry with its full log in `<log directory>/<app>.log`;
 * warnings and errors are echoed to the console with the app's name, and an app that dies by itself
 * is restarted with back-off (1 s, 2 s, ... 16 s), at most five times.
 */
export class ProcessSupervisor {
  private readonly apps: AppProcess[] = [];

  constructor(private readonly logDirectory: string) {}

  start(app: PlatformApp, environment: Record<string, string>): void {
    const echo = (message: string) => process.stdout.write(`[${app}] ${message}\n`);
    const process_ = new AppProcess(app, {
      environment,
      log_file: path.join(this.logDirectory, `${app}.log`),
      on_line: (line) => {
        if (isNotableLine(line)) echo(summarizeLine(line));
      },
      on_event: (event) => {
        if (event.kind !== 'exited' || event.planned) return;
        const how = event.signal ?? event.code;
        echo(
          event.restart_in_ms === undefined
            ? `exited (${how}); not restarting after ${RESTARTS_MAX} restarts`
            : `exited (${how}); restarting in ${event.restart_in_ms} ms`,
        );
      },
      supervise: {
        restart_delay_ms: (restart) => (restart <= RESTARTS_MAX ? 500 * 2 ** restart : undefined),
      },
    });
    this.apps.push(process_);
    process_.start();
  }

  /** SIGTERM to every app, SIGKILL to any still running after the grace period. */
  async stopAll(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.close()));
  }
}
