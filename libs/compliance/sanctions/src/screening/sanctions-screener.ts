import assert from 'node:assert/strict';
import { decryptCustomerFields } from '@ledgerline/accounts';
import type { EnvelopeCipher } from '@ledgerline/crypto';
import { Prisma, type Database } from '@ledgerline/db';
import type { Logger } from 'pino';
import { validate as isUuid } from 'uuid';
import { latestListVersion } from '../list/sanctions-list.service';
import {
  buildSanctionsIndex,
  matchParty,
  type IndexableEntry,
  type MatchThresholds,
  type PartyMatch,
  type SanctionsIndex,
  type SanctionsStatus,
} from '../matching/sanctions-index';

export interface CustomerSanctionsScreening {
  customer_id: string;
  status: 'clear' | 'potential_match' | 'confirmed_match';
  /** The list version the status was computed against; null when no list was ever loaded. */
  list_version: number | null;
  /** The best match when not clear (public list data only: entry number, entry name, score). */
  match: { ent_num: number; name: string; score: number } | null;
}

export interface SanctionsScreener {
  /** Each customer's status against the current list: read when already screened against it, else screened now (names and dates of birth decrypted in memory only) and recorded on the customer, idempotently (a conditional update, so two workers screening one customer agree). Unknown ids are absent from the map. */
  screenCustomers(customer_ids: readonly string[]): Promise<Map<string, CustomerSanctionsScreening>>;
  /** Screens every customer not yet screened against `list_version` (or a newer one), in keyset pages of bounded size; resumable after a crash (it picks up the customers still behind). */
  rescreenAll(
    list_version: number,
    options?: { on_progress?: (screened: number, total: number) => void | Promise<void> },
  ): Promise<{ screened: number; clear: number; potential_match: number; confirmed_match: number }>;
}

export interface SanctionsScreenerDependencies {
  db: Database;
  /** Decrypts customers' names and dates of birth; its keyring must hold every key customers name. */
  cipher: EnvelopeCipher;
  /** `ComplianceThresholds['sanctions']` of `@ledgerline/screening`. */
  thresholds: MatchThresholds;
  logger?: Logger;
  /** Customers read, screened and recorded per statement (1..1000). Default 500. */
  page_size?: number;
}

/** `rescreenAll` was asked for a list version that was never loaded: the job can never succeed. */
export class UnknownListVersionError extends Error {
  override readonly name = 'UnknownListVersionError';
  constructor(readonly list_version: number) {
    super(`sanctions list version ${list_version} was never loaded`);
  }
}

export const SCREENER_PAGE_SIZE_LIMITS = Object.freeze({ min: 1, max: 1_000, default: 500 });
/**
 * Indexes kept in memory: the latest list's. A rescreening keeps a reference to the index it started
 * with, so a newer list arriving meanwhile neither drops it under its feet nor makes it load again.
 */
const INDEXES_CACHED_MAX = 1;
const UUID_MIN = '00000000-0000-0000-0000-000000000000';

/** A customer row as screening reads it: ciphertexts, never plaintext. */
interface CustomerRow {
  id: string;
  key_id: string;
  wrapped_data_key: Uint8Array;
  full_name_ciphertext: Uint8Array;
  date_of_birth_ciphertext: Uint8Array | null;
  country: string;
  sanctions_status: SanctionsStatus;
  sanctions_screened_version: bigint | null;
  sanctions_match: { ent_num: number; name: string; score: number; list_version: number } | null;
}

interface Recorded {
  status: SanctionsStatus;
  match: PartyMatch['match'];
}

/**
 * Builds the sanctions screener. Matching runs against an in-memory index of the latest list,
 * built once per list version (only the latest kept) and shared by every call;
 * finding the latest version is one primary-key lookup per call.
 *
 * Recording is a conditional update (`sanctions_screened_version < version`): a redelivered job or a
 * second worker screening the same customer writes nothing twice and reads back what the first one
 * recorded, which is the same result anyway, since matching depends only on the list and the
 * customer. A status is never moved back to an older list's.
 */
export function createSanctionsScreener(dependencies: SanctionsScreenerDependencies): SanctionsScreener {
  const { db, cipher, thresholds, logger } = dependencies;
  const page_size = dependencies.page_size ?? SCREENER_PAGE_SIZE_LIMITS.default;
  assert.ok(
    Number.isInteger(page_size) &&
      page_size >= SCREENER_PAGE_SIZE_LIMITS.min &&
      page_size <= SCREENER_PAGE_SIZE_LIMITS.max,
    `createSanctionsScreener: page_size must be ${SCREENER_PAGE_SIZE_LIMITS.min}..${SCREENER_PAGE_SIZE_LIMITS.max}`,
  );
  const indexes = new Map<number, Promise<SanctionsIndex>>();

  function indexFor(list_version: number): Promise<SanctionsIndex> {
    const cached = indexes.get(list_version);
    if (cached !== undefined) return cached;
    const loading = loadIndex(db, list_version);
    indexes.set(list_version, loading);
    // A failed load is not kept: the next call tries again.
    loading.catch(() => indexes.delete(list_version));
    while (indexes.size > INDEXES_CACHED_MAX) {
      const oldest = Math.min(...indexes.keys());
      indexes.delete(oldest);
    }
    return loading;
  }

  /** Screens rows behind the index's list and records the results; returns what each row now holds. */
  async function screenAndRecord(
    rows: readonly CustomerRow[],
    index: SanctionsIndex,
  ): Promise<{ results: Map<string, CustomerSanctionsScreening>; recorded: Map<string, Recorded> }> {
    const list_version = index.list_version;
    const outcomes = new Map<string, Recorded>();
    for (const row of rows) {
      // Decrypted into locals only: never logged, never stored, gone when this iteration ends.
      const fields = decryptCustomerFields(cipher, {
        key_id: row.key_id,
        wrapped_data_key: row.wrapped_data_key,
        ciphertexts: { full_name: row.full_name_ciphertext, date_of_birth: row.date_of_birth_ciphertext },
      });
      const result = matchParty(
        index,
        { name: fields.full_name ?? '', country: row.country, date_of_birth: fields.date_of_birth },
        thresholds,
      );
      outcomes.set(row.id, { status: result.status, match: result.match });
    }
    const recordedIds = await recordScreenings(db, list_version, outcomes);
    const results = new Map<string, CustomerSanctionsScreening>();
    const recorded = new Map<string, Recorded>();
    for (const [id, outcome] of outcomes) {
      if (!recordedIds.has(id)) continue;
      recorded.set(id, outcome);
      results.set(id, { customer_id: id, status: outcome.status, list_version, match: outcome.match });
    }
    const lost = [...outcomes.keys()].filter((id) => !recordedIds.has(id));
    // Another worker recorded these first (against this list or a newer one): report what it recorded.
    if (lost.length > 0)
      for (const row of await readCustomers(db, lost)) results.set(row.id, storedScreening(row));
    return { results, recorded };
  }

  return {
    async screenCustomers(customer_ids) {
      const ids = [...new Set(customer_ids.filter((id) => isUuid(id)).map((id) => id.toLowerCase()))];
      const results = new Map<string, CustomerSanctionsScreening>();
      if (ids.length === 0) return results;
      const latest = await latestListVersion(db);
      for (let start = 0; start < ids.length; start += page_size) {
        const rows = await readCustomers(db, ids.slice(start, start + page_size));
        const behind: CustomerRow[] = [];
        for (const row of rows) {
          if (latest !== null && versionOf(row) < latest) behind.push(row);
          else results.set(row.id, storedScreening(row));
        }
        if (latest !== null && behind.length > 0) {
          const index = await indexFor(latest);
          for (const [id, screening] of (await screenAndRecord(behind, index)).results)
            results.set(id, screening);
        }
      }
      return results;
    },

    async rescreenAll(list_version, options = {}) {
      const latest = await latestListVersion(db);
      if (latest === null || list_version > latest) throw new UnknownListVersionError(list_version);
      // Against the latest list, which is at least `list_version`: a customer screened now need not
      // be screened again by the newer list's own job.
      const target = latest;
      const total = await countBehind(db, target);
      const index = await indexFor(target);
      const counts = { screened: 0, clear: 0, potential_match: 0, confirmed_match: 0 };
      let after = UUID_MIN;
      for (;;) {
        const rows = await readBehind(db, target, after, page_size);
        const last = rows.at(-1);
        if (last === undefined) break;
        after = last.id;
        const { recorded } = await screenAndRecord(rows, index);
        for (const outcome of recorded.values()) {
          counts.screened += 1;
          counts[outcome.status] += 1;
        }
        await options.on_progress?.(counts.screened, total);
      }
      logger?.info({ list_version, screened_against: target, total, ...counts }, 'customers rescreened');
      return counts;
    },
  };
}

function versionOf(row: CustomerRow): number {
  return row.sanctions_screened_version === null ? 0 : Number(row.sanctions_screened_version);
}

function storedScreening(row: CustomerRow): CustomerSanctionsScreening {
  return {
    customer_id: row.id,
    status: row.sanctions_status,
    list_version: row.sanctions_screened_version === null ? null : Number(row.sanctions_screened_version),
    match:
      row.sanctions_status === 'clear' || row.sanctions_match === null
        ? null
        : {
            ent_num: row.sanctions_match.ent_num,
            name: row.sanctions_match.name,
            score: row.sanctions_match.score,
          },
  };
}

/** What screening reads of a customer: ciphertexts, never plaintext. */
const CUSTOMER_COLUMNS = Prisma.sql`
  id::text AS id, key_id, wrapped_data_key, full_name_ciphertext, date_of_birth_ciphertext, country,
  sanctions_status::text AS sanctions_status, sanctions_screened_version, sanctions_match`;

async function readCustomers(db: Database, ids: readonly string[]): Promise<CustomerRow[]> {
  return db.$queryRaw<
    CustomerRow[]
  >`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = ANY(${ids}::uuid[])`;
}

/** One keyset page of the customers behind `list_version`, walking the primary key. */
async function readBehind(
  db: Database,
  list_version: number,
  after: string,
  limit: number,
): Promise<CustomerRow[]> {
  return db.$queryRaw<CustomerRow[]>`
    SELECT ${CUSTOMER_COLUMNS} FROM customers
    WHERE id > ${after}::uuid AND coalesce(sanctions_screened_version, 0) < ${list_version}::bigint
    ORDER BY id LIMIT ${limit}`;
}

async function countBehind(db: Database, list_version: number): Promise<number> {
  const rows = await db.$queryRaw<Array<{ behind: number }>>`
    SELECT count(*)::integer AS behind FROM customers WHERE coalesce(sanctions_screened_version, 0) < ${list_version}::bigint`;
  return rows[0]?.behind ?? 0;
}

/**
 * Records screenings in one statement, each only if the customer is still behind `list_version`
 * (the first writer wins); returns the ids this call recorded.
 */
async function recordScreenings(
  db: Database,
  list_version: number,
  outcomes: ReadonlyMap<string, Recorded>,
): Promise<Set<string>> {
  if (outcomes.size === 0) return new Set();
  const entries = [...outcomes];
  const ids = entries.map(([id]) => id);
  const statuses = entries.map(([, outcome]) => outcome.status);
  const matches = entries.map(([, outcome]) =>
    outcome.match === null ? null : JSON.stringify({ ...outcome.match, list_version }),
  );
  // `c.id = ANY(ids)` lets the planner reach the customers through the primary key whatever the table's size.
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE customers AS c
    SET sanctions_status = d.status::sanctions_status, sanctions_screened_version = ${list_version}::bigint,
        sanctions_screened_at = now(), sanctions_match = d.match
    FROM unnest(${ids}::uuid[], ${statuses}::text[], ${matches}::jsonb[]) AS d(id, status, match)
    WHERE c.id = ANY(${ids}::uuid[]) AND c.id = d.id AND coalesce(c.sanctions_screened_version, 0) < ${list_version}::bigint
    RETURNING c.id::text AS id`;
  return new Set(rows.map((row) => row.id));
}

/** Reads one list's entries (at most 100,000, the loader's bound) and indexes them. */
async function loadIndex(db: Database, list_version: number): Promise<SanctionsIndex> {
  const entries = await db.$queryRaw<IndexableEntry[]>`
    SELECT ent_num, name, sdn_type, aliases, countries::text[] AS countries, dates_of_birth
    FROM sanctions_entries WHERE list_version = ${list_version}::bigint ORDER BY ent_num`;
  return buildSanctionsIndex(list_version, entries);
}
