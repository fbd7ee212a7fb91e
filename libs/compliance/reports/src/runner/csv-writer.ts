import { stringify } from 'csv-stringify/sync';

/** A CSV cell: text as it is (amounts are NUMERIC text), counts as integers, empty for null. */
export type CsvCell = string | number | null;

/** Thrown when a report's CSV would grow past its cap; the runner marks the report `too_large`. */
export class ReportTooLargeError extends Error {
  override readonly name = 'ReportTooLargeError';
  constructor(
    readonly content_bytes_max: number,
    readonly rows: number,
  ) {
    super(`the report's CSV would exceed ${content_bytes_max} bytes after ${rows} rows`);
  }
}

/** Collects a report's CSV one page of rows at a time, refusing to grow past `content_bytes_max`. */
export interface CsvWriter {
  /** Appends rows (cells in the order of the columns); throws {@link ReportTooLargeError} past the cap. */
  write(rows: readonly (readonly CsvCell[])[]): void;
  readonly rows: number;
  readonly bytes: number;
  /** The whole CSV: the header line, then every row written. */
  content(): string;
}

/**
 * RFC 4180 output through csv-stringify, every option stated: comma-separated, `\n` line ends, quotes
 * only where a cell needs them. Formula escaping stays off: cells are ids, dates, codes and decimal
 * strings the report computed, never text a client typed, and escaping would prefix negative amounts.
 */
const CSV_OPTIONS = {
  delimiter: ',',
  record_delimiter: 'unix',
  quote: '"',
  escape: '"',
  quoted: false,
  escape_formulas: false,
} as const;

export function createCsvWriter(columns: readonly string[], content_bytes_max: number): CsvWriter {
  const chunks: string[] = [stringify([columns as string[]], CSV_OPTIONS)];
  let bytes = Buffer.byteLength(chunks[0]!, 'utf8');
  let rows = 0;
  if (bytes > content_bytes_max) throw new ReportTooLargeError(content_bytes_max, 0);
  return {
    write(page) {
      if (page.length === 0) return;
      for (const row of page) {
        if (row.length !== columns.length)
          throw new TypeError(`a CSV row has ${row.length} cells; the report has ${columns.length} columns`);
      }
      const chunk = stringify(
        page.map((row) => row.map((cell) => (cell === null ? '' : String(cell)))),
        CSV_OPTIONS,
      );
      const chunk_bytes = Buffer.byteLength(chunk, 'utf8');
      if (bytes + chunk_bytes > content_bytes_max) throw new ReportTooLargeError(content_bytes_max, rows);
      chunks.push(chunk);
      bytes += chunk_bytes;
      rows += page.length;
    },
    get rows() {
      return rows;
    },
    get bytes() {
      return bytes;
    },
    content() {
      return chunks.join('');
    },
  };
}
