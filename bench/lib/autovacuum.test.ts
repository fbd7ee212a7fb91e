import pg from 'pg';
import { createEmptyTestDatabase } from '@ledgerline/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintenanceDue, startAutovacuumStandIn } from '@ledgerline/processes';

describe('maintenanceDue', () => {
  const quiet = {
    table: 'transfers',
    rows: 10_000,
    dead_rows: 0,
    inserted_since_vacuum: 0,
    changed_since_analyze: 0,
  };

  it("acts where autovacuum's default thresholds would, and not before", () => {
    expect(maintenanceDue(quiet)).toBeNull();
    // Vacuum: 50 + 20% of the rows dead, or 1,000 + 20% inserted since the last vacuum.
    expect(maintenanceDue({ ...quiet, dead_rows: 2_050 })).toBeNull();
    expect(maintenanceDue({ ...quiet, dead_rows: 2_051 })).toBe('VACUUM (ANALYZE)');
    expect(maintenanceDue({ ...quiet, inserted_since_vacuum: 3_001 })).toBe('VACUUM (ANALYZE)');
    // Analyze: 50 + 10% of the rows changed since the last analyze.
    expect(maintenanceDue({ ...quiet, changed_since_analyze: 1_050 })).toBeNull();
    expect(maintenanceDue({ ...quiet, changed_since_analyze: 1_051 })).toBe('ANALYZE');
  });

  it('analyzes a table that was never analyzed once 50 rows changed', () => {
    const fresh = { ...quiet, rows: 0 };
    expect(maintenanceDue({ ...fresh, changed_since_analyze: 50 })).toBeNull();
    expect(maintenanceDue({ ...fresh, changed_since_analyze: 51 })).toBe('ANALYZE');
  });
});

describe('startAutovacuumStandIn', () => {
  let database: { url: string; drop(): Promise<void> };
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createEmptyTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('keeps statistics of a growing table when the server does not, and stays out of the way when it does', async () => {
    await pool.query('CREATE TABLE grows (id bigint PRIMARY KEY, note text)');
    const standIn = await startAutovacuumStandIn(database.url, { interval_ms: 50 });
    const { rows } = await pool.query<{ autovacuum: string }>('SHOW autovacuum');
    expect(standIn.active).toBe(rows[0]?.autovacuum !== 'on');

    await pool.query(`INSERT INTO grows SELECT g, 'row ' || g FROM generate_series(1, 5000) AS g`);
    if (!standIn.active) {
      expect(await standIn.stop()).toEqual({ vacuumed: 0, analyzed: 0 });
      return;
    }
    // What the planner believes about the table is what the apps' plans are made from.
    const plannedRows = async () => {
      const plan = await pool.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
        'EXPLAIN (FORMAT JSON) SELECT * FROM grows',
      );
      return plan.rows[0]!['QUERY PLAN'][0]!.Plan['Plan Rows'];
    };
    const deadline = Date.now() + 20_000;
    let vacuumed = false;
    while (!vacuumed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stats = await pool.query<{ vacuumed: boolean }>(
        `SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL AS vacuumed FROM pg_stat_user_tables WHERE relname = 'grows'`,
      );
      vacuumed = stats.rows[0]?.vacuumed ?? false;
    }
    const done = await standIn.stop();
    expect(vacuumed).toBe(true);
    expect(done.vacuumed).toBeGreaterThanOrEqual(1);
    expect(await plannedRows()).toBe(5000);
  });
});
