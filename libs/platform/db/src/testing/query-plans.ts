import type { Pool } from 'pg';

/** One node of `EXPLAIN (FORMAT JSON)`'s plan. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/**
 * The plan Postgres runs a statement with: `custom`, planned for these values, or `generic`, the plan a
 * client with `plans: 'generic'` runs (planned for any values; an `= ANY($1)` array priced at ten
 * elements). The statement is prepared on one connection of the pool and explained with its values as
 * literals: `EXPLAIN` with bind parameters always plans for the values.
 */
export async function planOf(
  pool: Pool,
  mode: 'custom' | 'generic',
  sql: string,
  values: readonly unknown[],
): Promise<PlanNode> {
  const session = await pool.connect();
  try {
    await session.query(
      `SET plan_cache_mode = ${mode === 'generic' ? 'force_generic_plan' : 'force_custom_plan'}`,
    );
    await session.query(`PREPARE planned AS ${sql}`);
    const explained =
      values.length === 0 ? 'EXECUTE planned' : `EXECUTE planned(${values.map(sqlLiteral).join(', ')})`;
    const { rows } = await session.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) ${explained}`,
    );
    return rows[0]!['QUERY PLAN'][0]!.Plan;
  } finally {
    await session.query('DEALLOCATE ALL; RESET plan_cache_mode').catch(() => undefined);
    session.release();
  }
}

/**
 * One customer (placeholder ciphertexts) holding `count` USD accounts: the bulk a plan test needs for the
 * planner to prefer indexes. The accounts' ids are random, not time-ordered.
 */
export async function insertPlanTestAccounts(pool: Pool, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country)
     VALUES ('01900000-0000-7000-8000-000000000000', '\\x00', '\\x00', 'test-key', 'US');`,
  );
  await pool.query(
    `INSERT INTO accounts (id, customer_id, currency)
     SELECT gen_random_uuid(), '01900000-0000-7000-8000-000000000000', 'USD' FROM generate_series(1, $1::integer)`,
    [count],
  );
}

/** Every node of a plan, depth first. */
export function planNodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(planNodes)];
}

/** The tables a plan reads whole (sequential scans), by name. */
export function sequentiallyScanned(plan: PlanNode): string[] {
  return planNodes(plan).flatMap((node) =>
    node['Node Type'] === 'Seq Scan' && node['Relation Name'] !== undefined ? [node['Relation Name']] : [],
  );
}

/** The indexes a plan reads, by name, in plan order. */
export function indexesUsed(plan: PlanNode): string[] {
  return planNodes(plan).flatMap((node) => (node['Index Name'] === undefined ? [] : [node['Index Name']]));
}

/** A value as a SQL literal (arrays as array literals, null as NULL), for EXECUTE's arguments. */
function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return quoted(`{${value.map(arrayElement).join(',')}}`);
  if (value instanceof Date) return quoted(value.toISOString());
  return quoted(String(value));
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
