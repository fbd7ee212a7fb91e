import { createHash } from 'node:crypto';
import { Prisma, type Database } from '@ledgerline/db';
import { jobs, outboxInsert } from '@ledgerline/queue';
import { parseSdnCsv, type SdnCsvError, type SdnEntry } from '../csv/sdn-csv';

export interface LoadSanctionsListInput {
  /** The uploaded SDN.CSV, as text. */
  csv: string;
  /** The API client that uploaded it. */
  loaded_by: string;
  /** Carried by the rescreening job. */
  request_id: string;
}

export interface LoadedSanctionsList {
  list_version: number;
  entries_loaded: number;
  /** False when the upload was the current list's content again: nothing was loaded or queued. */
  created: boolean;
}

export const SANCTIONS_LIST_LOAD_ERRORS = ['invalid_list'] as const;
/** `invalid_list`: the file is not an SDN.CSV this service accepts; `errors` says where. */
export type SanctionsListLoadError = (typeof SANCTIONS_LIST_LOAD_ERRORS)[number];

export type SanctionsListLoadResult =
  | { ok: true; value: LoadedSanctionsList }
  | { ok: false; error: SanctionsListLoadError; errors: SdnCsvError[] };

export interface SanctionsListService {
  /**
   * Parses an SDN.CSV and, in one transaction, stores it as the next list version with all its
   * entries and queues the rescreening of every customer against it (outbox). A refused file
   * changes nothing. The current list's content uploaded again answers the current version.
   */
  load(input: LoadSanctionsListInput): Promise<SanctionsListLoadResult>;
}

export interface SanctionsListServiceDependencies {
  db: Database;
}

/** Entries per INSERT statement: each chunk is one parameter (a JSON array) and a few hundred kB. */
const ENTRY_INSERT_ROWS_MAX = 1_000;
/** Every loader takes this transaction-level advisory lock, so versions are assigned one at a time. */
const SANCTIONS_LIST_LOCK_KEY = 5_318_008_271;
/** A 100,000-entry list is about a hundred chunk inserts; bounded so a stuck load lets go of its lock. */
const LOAD_TRANSACTION_TIMEOUT_MS = 120_000;
const LOAD_TRANSACTION_WAIT_MS = 10_000;

/** The newest loaded list's version, or null when none was ever loaded: one primary-key lookup. */
export async function latestListVersion(db: Pick<Database, '$queryRaw'>): Promise<number | null> {
  const rows = await db.$queryRaw<
    Array<{ version: bigint | null }>
  >`SELECT max(version) AS version FROM sanctions_lists`;
  const version = rows[0]?.version ?? null;
  return version === null ? null : Number(version);
}

export function createSanctionsListService({ db }: SanctionsListServiceDependencies): SanctionsListService {
  return {
    async load({ csv, loaded_by, request_id }) {
      const parsed = await parseSdnCsv(csv);
      if (!parsed.ok) return { ok: false, error: 'invalid_list', errors: parsed.errors };
      const content_sha256 = createHash('sha256').update(csv, 'utf8').digest('hex');
      const value = await db.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SANCTIONS_LIST_LOCK_KEY}::bigint)`;
          const [current] = await tx.$queryRaw<
            Array<{ version: bigint; content_sha256: string; entries_loaded: number }>
          >`
            SELECT version, content_sha256, entries_loaded FROM sanctions_lists ORDER BY version DESC LIMIT 1`;
          if (current !== undefined && current.content_sha256 === content_sha256)
            return {
              list_version: Number(current.version),
              entries_loaded: current.entries_loaded,
              created: false,
            };
          const list_version = current === undefined ? 1 : Number(current.version) + 1;
          await tx.$executeRaw`
            WITH queued AS (${outboxInsert([jobs.rescreenCustomers(list_version, request_id)])})
            INSERT INTO sanctions_lists (version, content_sha256, entries_loaded, loaded_by)
            VALUES (${list_version}::bigint, ${content_sha256}, ${parsed.entries.length}::integer, ${loaded_by})`;
          for (let start = 0; start < parsed.entries.length; start += ENTRY_INSERT_ROWS_MAX)
            await tx.$executeRaw(
              entriesInsert(list_version, parsed.entries.slice(start, start + ENTRY_INSERT_ROWS_MAX)),
            );
          return { list_version, entries_loaded: parsed.entries.length, created: true };
        },
        {
          isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
          maxWait: LOAD_TRANSACTION_WAIT_MS,
          timeout: LOAD_TRANSACTION_TIMEOUT_MS,
        },
      );
      return { ok: true, value };
    },
  };
}

/** One multi-row INSERT of entries: the rows travel as one JSON array parameter. */
function entriesInsert(list_version: number, entries: readonly SdnEntry[]): Prisma.Sql {
  const rows = entries.map((entry) => ({
    ent_num: entry.ent_num,
    name: entry.name,
    sdn_type: entry.sdn_type,
    program: entry.program,
    normalized_name: entry.normalized_name,
    aliases: entry.aliases,
    countries: entry.countries,
    dates_of_birth: entry.dates_of_birth,
  }));
  return Prisma.sql`
    INSERT INTO sanctions_entries
      (list_version, ent_num, name, sdn_type, program, normalized_name, aliases, countries, dates_of_birth)
    SELECT ${list_version}::bigint, e.ent_num, e.name, e.sdn_type, e.program, e.normalized_name,
           e.aliases, e.countries, e.dates_of_birth
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(
      ent_num integer, name text, sdn_type text, program text, normalized_name text,
      aliases text[], countries char(2)[], dates_of_birth text[])`;
}
