import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@ledgerline/processes';
import type { Platform } from './platform';

/** Runs `tools/scripts/<script>` as an operator would, against the platform's database; waits for it. */
export function runOperatorCommand(
  platform: Platform,
  script: string,
  args: readonly string[] = [],
): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(WORKSPACE_ROOT, 'tools/scripts', script), ...args],
    {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, DATABASE_URL: platform.database.url },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}
