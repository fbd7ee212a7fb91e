import type { FigureBook } from './figures';
import type { References } from './references';
import type { BenchDatabase } from './postgres';
import type { BenchSettings } from './settings';
import type { Platform } from './platform';

/** What every scenario gets: its bounds, the shared services, and where to put its figures. */
export interface BenchContext {
  settings: BenchSettings;
  /** A URL to the `postgres` database of the server; benchmark databases are created beside it. */
  postgres_server_url: string;
  figures: FigureBook;
  /** The throughput references, measured again after each scenario that compares against them. */
  references: References;
  /** `--profile`: the app processes the run starts write a CPU profile to bench/tmp/profiles/<name>/ when they stop. */
  cpu_profile: boolean;
  log(message: string): void;
  /** Registers a cleanup for the end of the run (run in reverse order, even after a failure). */
  defer(cleanup: () => Promise<void>): void;
  /** The migrated database shared by the ledger scenarios and the platform, created on first use. */
  database(): Promise<BenchDatabase>;
  /** The platform's processes on spare ports, started on first use; throws ScenarioSkipped if apps are missing. */
  platform(): Promise<Platform>;
}

export interface Scenario {
  name: string;
  title: string;
  /** Records figures in `context.figures`; returns details for results.json; throws ScenarioSkipped to skip. */
  run(context: BenchContext): Promise<Record<string, unknown>>;
}
