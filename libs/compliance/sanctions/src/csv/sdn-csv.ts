import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse, type Options as CsvOptions } from 'csv-parse';
import { countryCodeOf } from '../countries/country-codes';
import { normalizeName } from '../matching/normalize-name';
import { parseSdnRemarks } from './sdn-remarks';

/** The columns of OFAC's SDN.CSV, in order. The file has no header row; one is accepted. */
export const SDN_CSV_COLUMNS = [
  'ent_num',
  'SDN_Name',
  'SDN_Type',
  'Program',
  'Title',
  'Call_Sign',
  'Vess_type',
  'Tonnage',
  'GRT',
  'Vess_flag',
  'Vess_owner',
  'Remarks',
] as const;

export const SDN_CSV_LIMITS = Object.freeze({
  /** The real list has about 18,000 entries. */
  entries_max: 100_000,
  /** Characters of one record (the longest real Remarks are a few thousand). */
  record_length_max: 65_536,
  name_length_max: 1_000,
  /** Problems reported for one file; parsing stops at the first syntax error anyway. */
  errors_max: 20,
});

export const SDN_TYPES = ['individual', 'entity', 'vessel', 'aircraft'] as const;
/** OFAC writes no type (`-0-`) for entities. */
export type SdnType = (typeof SDN_TYPES)[number];

/** One SDN entry, with what matching needs read out of its Remarks. */
export interface SdnEntry {
  ent_num: number;
  /** As written: "LAST, First" for individuals. */
  name: string;
  sdn_type: SdnType;
  /** OFAC's program tags, `]`-`[` separated as written ("SDGT] [IRGC"); null when empty. */
  program: string | null;
  /** The name as matching compares it (see `normalizeName`). */
  normalized_name: string;
  aliases: string[];
  /** ISO 3166-1 alpha-2, from the Remarks and a vessel's flag. */
  countries: string[];
  /** ISO 8601 dates, months, years or ranges (see `ENTRY_DATE_OF_BIRTH_PATTERN`). */
  dates_of_birth: string[];
}

/** Why a file was refused; `line` is 1-based, null for the file as a whole. */
export interface SdnCsvError {
  line: number | null;
  message: string;
}

export type SdnCsvParseResult = { ok: true; entries: SdnEntry[] } | { ok: false; errors: SdnCsvError[] };

/** OFAC's empty value. */
const EMPTY = '-0-';
const ENT_NUM = /^[1-9][0-9]{0,9}$/;
const INT32_MAX = 2_147_483_647;
/** SDN.CSV ends with a DOS end-of-file character (Ctrl-Z). */
const TRAILING_END_OF_FILE = /\u001a\s*$/;

const CSV_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a quoted field is not doubled',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a quoted field has text after its closing quote',
  CSV_MAX_RECORD_SIZE: `the record is longer than ${SDN_CSV_LIMITS.record_length_max} characters`,
};

interface CsvRecord {
  fields: string[];
  line: number;
}

/** How parsing shares the event loop; tests make the chunks tiny to cut characters apart. */
export interface SdnCsvParseOptions {
  /** Bytes handed to the CSV parser at a time, the event loop getting a turn between them. */
  chunk_bytes?: number;
  /** Records turned into entries between two turns of the event loop. */
  entries_per_turn?: number;
}

/**
 * About 2 ms of parsing and 10 ms of entries at a time: the whole real list (3.7 MB, 18,000 entries)
 * takes about 0.3 s, which must not stall the other requests of the API that receives it.
 */
const CHUNK_BYTES_DEFAULT = 64 * 1024;
const ENTRIES_PER_TURN_DEFAULT = 1_000;

const CSV_OPTIONS: CsvOptions = {
  bom: true,
  delimiter: ',',
  quote: '"',
  escape: '"',
  // Column counts are checked below, so that every bad line is named, not only the first.
  relax_column_count: true,
  relax_quotes: false,
  skip_empty_lines: true,
  max_record_size: SDN_CSV_LIMITS.record_length_max,
};

/**
 * Parses OFAC's SDN.CSV: 12 columns, no header row (a header naming the columns is skipped), `-0- `
 * for empty values, a trailing Ctrl-Z ignored. A file that is not exactly that (a wrong column count,
 * an ent_num that is not a positive integer, a repeated ent_num, a missing name, an unknown type, no
 * entries, more than {@link SDN_CSV_LIMITS}.entries_max) is refused with the lines to blame; nothing
 * of a refused file is used. It works in slices, giving the event loop a turn between them.
 */
export async function parseSdnCsv(
  text: string,
  options: SdnCsvParseOptions = {},
): Promise<SdnCsvParseResult> {
  const read = await readRecords(text, options.chunk_bytes ?? CHUNK_BYTES_DEFAULT);
  if (!Array.isArray(read)) return { ok: false, errors: [read] };
  let records = read;
  if (records[0] !== undefined && isHeader(records[0].fields)) records = records.slice(1);
  if (records.length === 0)
    return { ok: false, errors: [{ line: null, message: 'the file has no entries' }] };
  if (records.length > SDN_CSV_LIMITS.entries_max) {
    return {
      ok: false,
      errors: [{ line: null, message: `the file has more than ${SDN_CSV_LIMITS.entries_max} entries` }],
    };
  }

  const entries: SdnEntry[] = [];
  const errors: SdnCsvError[] = [];
  const seen = new Map<number, number>();
  const entries_per_turn = options.entries_per_turn ?? ENTRIES_PER_TURN_DEFAULT;
  for (const [index, record] of records.entries()) {
    if (index > 0 && index % entries_per_turn === 0) await nextTurn();
    const entry = entryOf(record);
    if (typeof entry === 'string') errors.push({ line: record.line, message: entry });
    else {
      const first = seen.get(entry.ent_num);
      if (first !== undefined)
        errors.push({ line: record.line, message: `ent_num ${entry.ent_num} is also on line ${first}` });
      else {
        seen.set(entry.ent_num, record.line);
        entries.push(entry);
      }
    }
    if (errors.length >= SDN_CSV_LIMITS.errors_max) break;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, entries };
}

/**
 * The file's records with the line each ends on, or the syntax error that stopped the parser. The
 * parser gets the bytes a chunk at a time (it works on bytes, so a chunk may end inside a character)
 * and stops once there is one header row and one entry too many, enough to tell the file is too long.
 */
async function readRecords(text: string, chunk_bytes: number): Promise<CsvRecord[] | SdnCsvError> {
  const records_max = SDN_CSV_LIMITS.entries_max + 2;
  const input = Buffer.from(text.replace(TRAILING_END_OF_FILE, ''), 'utf8');
  const parser = parse({ ...CSV_OPTIONS, info: true });
  // Each write waits for a turn of the event loop first, so the reading loop below (and its error
  // listener) is in place before the parser sees a byte.
  const feeding = (async () => {
    for (let offset = 0; offset < input.length; offset += chunk_bytes) {
      await nextTurn();
      if (parser.destroyed) return;
      parser.write(input.subarray(offset, offset + chunk_bytes));
    }
    if (!parser.destroyed) parser.end();
  })();
  const records: CsvRecord[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      records.push({ fields: record, line: info.lines });
      // Leaving the loop destroys the parser, and the feeding stops.
      if (records.length >= records_max) break;
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines;
    return {
      line: typeof line === 'number' ? line : null,
      message: CSV_ERROR_MESSAGES[error.code] ?? 'the line is not valid CSV',
    };
  } finally {
    await feeding;
  }
  return records;
}

function isHeader(fields: readonly string[]): boolean {
  return fields[0]?.trim().toLowerCase() === 'ent_num';
}

/** The entry of one record, or what is wrong with it. */
function entryOf({ fields, line }: CsvRecord): SdnEntry | string {
  if (line > 1 && isHeader(fields)) return 'a header row may only be the first line';
  if (fields.length !== SDN_CSV_COLUMNS.length)
    return `expected ${SDN_CSV_COLUMNS.length} columns, found ${fields.length}`;
  const [entNumText, nameText, typeText, program, , , , , , vesselFlag, , remarks] = fields.map(valueOf);
  if (
    entNumText === null ||
    entNumText === undefined ||
    !ENT_NUM.test(entNumText) ||
    Number(entNumText) > INT32_MAX
  )
    return 'ent_num must be a positive integer';
  const ent_num = Number(entNumText);
  if (nameText === null || nameText === undefined) return 'SDN_Name is empty';
  if (nameText.length > SDN_CSV_LIMITS.name_length_max)
    return `SDN_Name is longer than ${SDN_CSV_LIMITS.name_length_max} characters`;
  const sdn_type = sdnTypeOf(typeText ?? null);
  if (sdn_type === null) return `SDN_Type must be one of individual, vessel, aircraft or ${EMPTY}`;
  const individual = sdn_type === 'individual';
  const normalized_name = normalizeName(nameText, { reorder_last_first: individual });
  if (normalized_name === '') return 'SDN_Name has no letters or digits';

  const parsed = parseSdnRemarks(remarks ?? null);
  const countries = parsed.countries;
  const flag = vesselFlag === null || vesselFlag === undefined ? null : countryCodeOf(vesselFlag);
  if (flag !== null && !countries.includes(flag)) countries.push(flag);
  return {
    ent_num,
    name: nameText,
    sdn_type,
    program: program ?? null,
    normalized_name,
    // An alias that normalizes to nothing ("'-'") can never match and would only be noise.
    aliases: parsed.aliases.filter((alias) => normalizeName(alias) !== ''),
    countries,
    dates_of_birth: parsed.dates_of_birth,
  };
}

/** A field's value: trimmed, null for OFAC's `-0-` and for nothing at all. */
function valueOf(field: string): string | null {
  const value = field.trim();
  return value === '' || value === EMPTY ? null : value;
}

function sdnTypeOf(value: string | null): SdnType | null {
  if (value === null) return 'entity';
  const type = value.toLowerCase();
  return type === 'individual' || type === 'vessel' || type === 'aircraft' ? type : null;
}
