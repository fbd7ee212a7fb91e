import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export interface DatabaseOptions {
  url: string;
  pool_size_max: number;
  statement_timeout_ms: number;
  /** Shown in pg_stat_activity, so operators can tell which process holds a connection. */
  application_name?: string;
  /**
   * `generic`: every prepared statement runs its generic plan from the first execution on
   * (`plan_cache_mode = force_generic_plan`), for clients that run only keyed statements (`id = ANY($1)`),
   * where a plan does not depend on the values. Postgres otherwise keeps planning a statement afresh
   * while its generic plan is estimated dearer than the custom ones, and it is whenever the batches are
   * smaller than the ten array elements it assumes for a parameter: the screening rules' statement
   * spent 2 ms planning for 0.5 ms running, on every call. `auto` (the default) leaves Postgres to
   * choose, for statements whose best plan depends on the values (a report's period, a page's filters).
   */
  plans?: 'auto' | 'generic';
}

/**
 * Every connection starts with READ COMMITTED as its default isolation, whatever the server's default,
 * so transactions that want it need not say so: Prisma's `isolationLevel` option costs one extra
 * round trip (`SET TRANSACTION ...`) per transaction, on the hottest paths we have.
 *
 * And without JIT compilation: our statements are short index walks, and a prepared statement's generic
 * plan can be estimated far above `jit_above_cost` (the screening rules' was, at 1.5 million, for a
 * query that reads a few dozen rows), when each execution then spent about 1.8 s compiling.
 */
const CONNECTION_OPTIONS = '-c default_transaction_isolation=read\\ committed -c jit=off';
const GENERIC_PLANS_OPTION = '-c plan_cache_mode=force_generic_plan';

/**
 * How many distinct SQL texts one process prepares. Our statements are a fixed set (a few dozen per
 * app); the bound only guards against SQL whose text varies with its input (an `IN` list of varying
 * length), which then runs unnamed instead of filling every connection's plan cache.
 */
export const PREPARED_STATEMENTS_MAX = 500;

/**
 * Names each distinct SQL text once (`ll_1`, `ll_2`, ...), so that pg prepares it once per connection
 * and later runs only bind and execute: Postgres then parses it once per connection instead of on every
 * call (Prisma otherwise sends every statement unnamed), and plans it once where it settles on the
 * generic plan (always, with `plans: 'generic'`). Same text, same name, always: pg refuses a name reused
 * for different text. Texts beyond `max` get no name and run unnamed.
 */
export function preparedStatementNamer(max = PREPARED_STATEMENTS_MAX): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < max) {
      name = `ll_${names.size + 1}`;
      names.set(sql, name);
    }
    // pg treats an absent name as an unnamed statement; the adapter's type says string only.
    return name as string;
  };
}

/** Builds a Prisma client on the pg driver adapter with a bounded pool. The caller owns `$disconnect()`. */
export function createPrismaClient(options: DatabaseOptions): PrismaClient {
  const adapter = new PrismaPg(
    {
      connectionString: options.url,
      max: options.pool_size_max,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statement_timeout_ms,
      application_name: options.application_name ?? 'ledgerline',
      options:
        options.plans === 'generic' ? `${CONNECTION_OPTIONS} ${GENERIC_PLANS_OPTION}` : CONNECTION_OPTIONS,
    },
    { statementNameGenerator: preparedStatementNamer() },
  );
  // 'minimal' errors: with any other format Prisma creates an Error on every query, to quote the
  // caller's source line should the query fail (about 30 us of CPU a query, 3% of a balance read).
  // Our errors go to logs with their stack and Prisma code, never to clients, so the quote buys nothing.
  return new PrismaClient({ adapter, errorFormat: 'minimal' });
}

export type Database = PrismaClient;
