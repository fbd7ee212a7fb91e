/**
 * Cleanups registered as things are created, run once in reverse order by whoever asks first (the end
 * of a run or scenario, a failure, a signal); a later caller waits for the same run. A cleanup that
 * fails is logged and the others still run.
 */
export interface CleanupStack {
  push(cleanup: () => Promise<void>): void;
  run(): Promise<void>;
}

export function cleanupStack(log: (message: string) => void): CleanupStack {
  const cleanups: Array<() => Promise<void>> = [];
  let ran: Promise<void> | undefined;
  return {
    push: (cleanup) => void cleanups.push(cleanup),
    run: () =>
      (ran ??= (async () => {
        for (const cleanup of cleanups.splice(0).reverse()) {
          await cleanup().catch((error: Error) => log(`cleanup failed: ${error.message}`));
        }
      })()),
  };
}
