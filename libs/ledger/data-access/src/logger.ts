/**
 * The slice of a pino logger the ledger uses; any pino `Logger` fits. Fields first, then a message,
 * so that logs stay structured (ids, counts, durations) and never carry personal data.
 */
export interface LedgerLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const noop = () => undefined;

/** Used when no logger is given: tests and tools that only care about return values. */
export const SILENT_LOGGER: LedgerLogger = { debug: noop, info: noop, warn: noop, error: noop };
