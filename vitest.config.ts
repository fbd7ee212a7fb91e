import { defineConfig } from 'vitest/config';

// One Vitest configuration for the whole workspace; each Nx project's `test` target narrows it with
// `--dir`. Tests run against real Postgres and Redis (see libs/platform/db/src/testing).
export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    globals: false,
    include: ['apps/**/src/**/*.test.ts', 'libs/**/src/**/*.test.ts', 'tools/**/*.test.ts'],
    globalSetup: ['libs/platform/db/src/testing/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
