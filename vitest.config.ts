import { defineConfig } from 'vitest/config';

// One Vitest configuration for the whole workspace, in two projects: `unit` (libraries and apps
// through `app.inject`, files in parallel) and `e2e` (the platform as real processes, one file at a
// time so that the processes of two files never compete for the same cores). Each Nx project's
// `test` target narrows it with `--dir`. Tests run against real Postgres and Redis (see
// libs/platform/db/src/testing).
const shared = {
  globals: false,
  globalSetup: ['libs/platform/db/src/testing/global-setup.ts'],
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 120_000,
  teardownTimeout: 30_000,
};

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        resolve: { tsconfigPaths: true },
        test: {
          ...shared,
          name: 'unit',
          include: [
            'apps/**/src/**/*.test.ts',
            'libs/**/src/**/*.test.ts',
            'tools/**/*.test.ts',
            'bench/lib/**/*.test.ts',
          ],
          exclude: ['apps/platform-e2e/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        resolve: { tsconfigPaths: true },
        test: {
          ...shared,
          name: 'e2e',
          // The apps run as processes from their bundles, built once per run.
          globalSetup: [...shared.globalSetup, 'apps/platform-e2e/src/harness/global-setup.ts'],
          include: ['apps/platform-e2e/src/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
        },
      },
    ],
  },
});
