const PINO_WARN = 40;
const LINE_LENGTH_MAX = 2_000;

/** Plain text, or a pino JSON line at warn level or above (or one that does not parse). */
export function isNotableLine(line: string): boolean {
  if (!line.startsWith('{')) return line.trim().length > 0;
  try {
    return ((JSON.parse(line) as { level?: number }).level ?? 0) >= PINO_WARN;
  } catch {
    return true;
  }
}

/** A pino JSON line as `msg: err.message`; anything else as it is. */
export function summarizeLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    return [record.msg, record.err?.message].filter(Boolean).join(': ') || line;
  } catch {
    return line;
  }
}

/** The last `limit` lines of a process's output (each cut at 2,000 characters), for error messages. */
export class OutputTail {
  private kept: string[] = [];

  constructor(private readonly limit = 400) {}

  push(line: string): void {
    if (line.length === 0) return;
    this.kept.push(line.slice(0, LINE_LENGTH_MAX));
    // Trimmed in bulk, so that a chatty process costs no copy per line.
    if (this.kept.length >= 2 * this.limit) this.kept = this.kept.slice(-this.limit);
  }

  get lines(): readonly string[] {
    return this.kept.length > this.limit ? this.kept.slice(-this.limit) : this.kept;
  }

  /** The last `count` notable lines (see isNotableLine): warnings and errors first of all. */
  notable(count = 8): string[] {
    return this.lines.filter(isNotableLine).slice(-count);
  }
}
