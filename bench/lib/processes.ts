import path from 'node:path';
import { AppProcess, WORKSPACE_ROOT, type AppProgram, type AppReadiness } from '@ledgerline/processes';

/** Each process's full output of the last run, for finding a bottleneck after the fact (git-ignored). */
export const LOG_DIRECTORY = path.join(WORKSPACE_ROOT, 'bench', 'tmp', 'logs');
/** Where `--profile` makes every platform process write its CPU profile when it stops. */
export const PROFILE_DIRECTORY = path.join(WORKSPACE_ROOT, 'bench', 'tmp', 'profiles');

/**
 * A process of the benchmark: its output of this run in `bench/tmp/logs/<name>.log`, its memory at hand
 * (`memory()`), with `--cpu-prof` into `bench/tmp/profiles/<name>/` when profiling. CPU profiles keep
 * Node's default name (it holds the pid and thread id), so no process or thread overwrites another's.
 */
export function benchProcess(
  program: AppProgram,
  {
    environment,
    ready,
    cpu_profile = false,
  }: { environment: Record<string, string>; ready?: AppReadiness; cpu_profile?: boolean },
): AppProcess {
  const name = typeof program === 'string' ? program : program.name;
  return new AppProcess(program, {
    environment,
    ready,
    log_file: path.join(LOG_DIRECTORY, `${name}.log`),
    log_mode: 'truncate',
    node_options: cpu_profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIRECTORY, name)}`] : [],
  });
}
