import pg from 'pg';

/**
 * Autovacuum's stand-in, for servers that run with `autovacuum = off` (this project's CI machines do),
 * used by the benchmark on its databases and by `npm start` on the platform's.
 *
 * Without autovacuum nothing ever vacuums or analyzes a database while its tables grow from empty to
 * hundreds of thousands of rows. The apps name their statements (see `preparedStatementNamer`), and a
 * prepared statement keeps its generic plan until the table's statistics change: the plans made while
 * `transfers` was empty (sequential scans) stayed for a whole benchmark run, so every screening
 * decision and every ledger batch read the whole table, and dead rows piled up in every index. No
 * production server runs like that.
 *
 * Every `interval_ms` it does what autovacuum's workers would with the default settings: VACUUM (ANALYZE)
 * a table whose dead rows or rows inserted since its last vacuum pass their thresholds, ANALYZE one
 * whose changed rows since its last analyze do, throttled by the same cost delay. It runs on one
 * connection of its own, like one autovacuum worker (in a benchmark its cost is measured, as
 * autovacuum's would be).
 */

/** PostgreSQL's defaults (postgresql.conf, "AUTOVACUUM"). */
const THRESHOLDS = {
  vacuum: { base: 50, scale: 0.2 },
  vacuum_insert: { base: 1_000, scale: 0.2 },
  analyze: { base: 50, scale: 0.1 },
};

export const AUTOVACUUM_STAND_IN_INTERVAL_MS = 10_000;

export interface TableActivity {
  table: string;
  rows: number;
  dead_rows: number;
  inserted_since_vacuum: number;
  changed_since_analyze: number;
}

export type MaintenanceAction = 'VACUUM (ANALYZE)' | 'ANALYZE' | null;

/** What autovacuum would do to a table now: vacuum (and analyze) it, only analyze it, or nothing. */
export function maintenanceDue(activity: TableActivity): MaintenanceAction {
  const past = (count: number, threshold: { base: number; scale: number }) =>
    count > threshold.base + threshold.scale * activity.rows;
  if (
    past(activity.dead_rows, THRESHOLDS.vacuum) ||
    past(activity.inserted_since_vacuum, THRESHOLDS.vacuum_insert)
  )
    return 'VACUUM (ANALYZE)';
  if (past(activity.changed_since_analyze, THRESHOLDS.analyze)) return 'ANALYZE';
  return null;
}

export interface AutovacuumStandIn {
  /** False when the server runs autovacuum itself, and this stand-in does nothing. */
  readonly active: boolean;
  /** Stops after the round in progress, if any; returns how many tables it vacuumed and analyzed. */
  stop(): Promise<{ vacuumed: number; analyzed: number }>;
}

/** Starts the stand-in on `database_url`; it does nothing (`active: false`) where the server runs autovacuum. */
export async function startAutovacuumStandIn(
  database_url: string,
  options: { interval_ms?: number; application_name?: string } = {},
): Promise<AutovacuumStandIn> {
  const interval_ms = options.interval_ms ?? AUTOVACUUM_STAND_IN_INTERVAL_MS;
  const client = new pg.Client({
    connectionString: database_url,
    application_name: options.application_name ?? 'ledgerline-autovacuum-stand-in',
  });
  await client.connect();
  const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
  if (rows[0]?.autovacuum === 'on') {
    await client.end();
    return { active: false, stop: async () => ({ vacuumed: 0, analyzed: 0 }) };
  }

  // Throttled as autovacuum's workers are (autovacuum_vacuum_cost_delay 2 ms, vacuum_cost_limit 200, the
  // defaults); a manual VACUUM is not, and would hit the measured requests harder than autovacuum does.
  await client.query(`SET vacuum_cost_delay = '2ms'`);
  await client.query(`SET vacuum_cost_limit = 200`);
  const done = { vacuumed: 0, analyzed: 0 };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  const runRound = async () => {
    const activity = await client.query<TableActivity>(
      `SELECT s.relname AS table, greatest(c.reltuples, 0)::float8 AS rows, s.n_dead_tup::float8 AS dead_rows,
              s.n_ins_since_vacuum::float8 AS inserted_since_vacuum, s.n_mod_since_analyze::float8 AS changed_since_analyze
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid`,
    );
    for (const table of activity.rows) {
      if (stopped) return;
      const action = maintenanceDue(table);
      if (action === null) continue;
      await client.query(`${action} ${client.escapeIdentifier(table.table)}`);
      if (action === 'ANALYZE') done.analyzed += 1;
      else done.vacuumed += 1;
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      // A failed round (the database going away at the end of a run) simply ends the stand-in.
      round = runRound().then(
        () => {
          if (!stopped) schedule();
        },
        () => undefined,
      );
    }, interval_ms);
  };
  schedule();

  return {
    active: true,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
      await client.end().catch(() => undefined);
      return done;
    },
  };
}
