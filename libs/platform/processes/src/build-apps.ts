import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

/** The workspace root (this file is libs/platform/processes/src/build-apps.ts). */
export const WORKSPACE_ROOT = path.resolve(import.meta.dirname, '../../../..');

/** Every deployable app, in the order the launcher starts them. */
export const PLATFORM_APPS = [
  'accounts-api',
  'transactions-api',
  'compliance-api',
  'ops-api',
  'outbox-relay',
  'compliance-worker',
  'ledger-worker',
  'gateway',
] as const;
export type PlatformApp = (typeof PLATFORM_APPS)[number];

/** The built entry of an app: plain JavaScript that `node` runs without a TypeScript loader. */
export function builtEntryOf(app: PlatformApp): string {
  return path.join(WORKSPACE_ROOT, 'dist', 'apps', app, 'main.mjs');
}

/**
 * Node options every app runs with, chosen for resident memory (each measured with the bench):
 * - `--enable-source-maps`: stack traces point into the TypeScript sources.
 * - `--max-semi-space-size=4`: a request's garbage dies young, and a big nursery only inflates the
 *   resident set (about 50 MB per process at Node's default under load).
 * - `--liftoff-only`: Prisma's query compiler is WebAssembly; V8's optimizing tier recompiled it in the
 *   background on the first queries and kept about 50 MB of compiler memory resident for good. The
 *   baseline tier alone compiles it once, and queries took no longer (it runs once per statement).
 * - `--max-old-space-size=128`: about 2.5 times an app's live heap (40-60 MB). Without a limit V8 let
 *   the old generation grow to about 250 MB RSS under load before collecting; with it, transactions-api
 *   peaked near 155 MB at the same CPU per request. A process whose live set really outgrew it would
 *   die and be restarted, which every request path survives (nothing is answered before it is durable).
 *   (`--optimize-for-size` saved as much memory but cost 15-20% more CPU per request.)
 */
export const APP_NODE_OPTIONS: readonly string[] = [
  '--enable-source-maps',
  '--max-semi-space-size=4',
  '--liftoff-only',
  '--max-old-space-size=128',
];

/**
 * Bundles each app's `src/main.ts` with the workspace libraries into one ES module under
 * `dist/apps/<app>/main.mjs`; npm packages stay external and load from node_modules as usual.
 *
 * Why: running TypeScript through tsx costs every process a second V8 isolate (the loader thread,
 * about 100 MB of resident memory) and start-up time. esbuild takes well under a second for all apps,
 * so the launcher, the e2e suite, the benchmarks and the chaos test build fresh on every start and
 * never run a stale bundle.
 */
export async function buildApps(apps: readonly PlatformApp[] = PLATFORM_APPS): Promise<void> {
  await Promise.all(
    apps.map((app) =>
      bundleEntry(path.join(WORKSPACE_ROOT, 'apps', app, 'src', 'main.ts'), builtEntryOf(app)),
    ),
  );
}

/**
 * Bundles one TypeScript entry with the workspace libraries it imports into one ES module at
 * `outfile` (npm packages stay external), as buildApps does for each app; for other programs that
 * run beside the apps, such as the benchmark's reference server.
 */
export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  const { outputFiles } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    tsconfig: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'),
    logLevel: 'warning',
    absWorkingDir: WORKSPACE_ROOT,
    write: false,
  });
  // Another run in the same checkout may be starting an app from the previous build right now: each
  // file is replaced whole (written beside it, then renamed), the source map before the code.
  const files = [...outputFiles].sort(
    (a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')),
  );
  await mkdir(path.dirname(outfile), { recursive: true });
  for (const file of files) {
    const current = await readFile(file.path).catch(() => undefined);
    if (current?.equals(file.contents)) continue;
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
}
