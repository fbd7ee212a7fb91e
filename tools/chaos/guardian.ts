import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/*
 * Waits for the runner to exit; if it left anything behind (it was SIGKILLed: by CI, by the OOM killer,
 * by a tsx CLI whose signal relay gave up on it), kills the processes listed in `children` (each `pid
 * comm`, checked against /proc so a reused pid is left alone), crashes its Postgres and removes the
 * server data. After a clean exit all of that is already gone and the guardian finds nothing to do.
 */
const SCRIPT = `
runner="$1"; directory="$2"
while kill -0 "$runner" 2>/dev/null; do sleep 1; done
if [ -f "$directory/children" ]; then
  while read -r pid comm; do
    [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$comm" ] && kill -9 "$pid" 2>/dev/null
  done < "$directory/children"
fi
postmaster=$(head -n 1 "$directory/pg/data/postmaster.pid" 2>/dev/null)
if [ -n "$postmaster" ] && [ "$(cat /proc/$postmaster/comm 2>/dev/null)" = "postgres" ]; then
  kill -QUIT "$postmaster"; sleep 3
fi
rm -rf "$directory/pg" "$directory/redis" "$directory/children"
`;

/** What the process owners tell the guardian. */
export interface ChildRegistry {
  started(pid: number | undefined, comm: string): void;
  exited(pid: number | undefined): void;
}

/** An `on_event` hook (AppProcess, PrivateRedis) that tells the registry about each child: `comm` is its name in /proc. */
export function tracked(registry: ChildRegistry, comm: string) {
  return (event: { kind: 'started' | 'exited'; pid: number | undefined }): void => {
    if (event.kind === 'started') registry.started(event.pid, comm);
    else registry.exited(event.pid);
  };
}

/**
 * The last line of defence for "everything the run started is gone afterwards": a detached shell that
 * outlives the runner. The runner's own clean-up (on success, failure, Ctrl-C) does the real work.
 */
export class Guardian implements ChildRegistry {
  private readonly children = new Map<number, string>();
  private readonly file: string;

  constructor(directory: string) {
    this.file = path.join(directory, 'children');
    spawn('bash', ['-c', SCRIPT, 'chaos-guardian', String(process.pid), directory], {
      detached: true,
      stdio: 'ignore',
    }).unref();
  }

  /** A child process started: `comm` is its name in /proc (node, redis-server). */
  started(pid: number | undefined, comm: string): void {
    if (pid === undefined) return;
    this.children.set(pid, comm);
    this.write();
  }

  exited(pid: number | undefined): void {
    if (pid === undefined || !this.children.delete(pid)) return;
    this.write();
  }

  /** After a complete clean-up: nothing is left for the guardian. */
  dismiss(): void {
    this.children.clear();
    rmSync(this.file, { force: true });
  }

  private write(): void {
    writeFileSync(this.file, [...this.children].map(([pid, comm]) => `${pid} ${comm}\n`).join(''));
  }
}
