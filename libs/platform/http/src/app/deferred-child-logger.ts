import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify's `childLoggerFactory`: a request's logger that costs nothing until the request logs.
 *
 * Fastify makes a child logger for every request (its `request_id`), and the auth plugin another (its
 * `client_id`). A pino child serialises its bindings when it is made: in a balance read the two cost
 * nearly as much as writing the access line, and most requests log that one line only. This logger keeps the bindings
 * and writes each line through the parent with the bindings put first in the line's object, which is
 * the line a pino child writes (same keys in the same order, same serializers and redaction).
 * Anything it cannot write that way (an Error or other non-plain first argument, child options such as
 * a level) goes to a real pino child, made then and kept.
 */
export function deferredChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (Object.keys(options).length > 0 || !isPinoLogger(parent)) return parent.child(bindings, options);
  return new DeferredChildLogger(parent, bindings);
}

class DeferredChildLogger implements FastifyBaseLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: Logger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#materialized().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#write('error', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    if (this.#child !== undefined || (options !== undefined && Object.keys(options).length > 0)) {
      return this.#materialized().child(bindings, options);
    }
    return new DeferredChildLogger(this.#parent, { ...this.#bindings, ...bindings });
  }

  #write(level: LogMethod, args: unknown[]): void {
    if (this.#child === undefined) {
      if (!this.#parent.isLevelEnabled(level)) return;
      const [first, ...rest] = args;
      const log = this.#parent[level] as (...line: unknown[]) => void;
      if (typeof first === 'string') return log.call(this.#parent, this.#bindings, first, ...rest);
      if (isPlainObject(first)) return log.call(this.#parent, { ...this.#bindings, ...first }, ...rest);
    }
    const child = this.#materialized();
    (child[level] as (...line: unknown[]) => void).apply(child, args);
  }

  #materialized(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }
}

function isPinoLogger(logger: FastifyBaseLogger): logger is FastifyBaseLogger & Logger {
  return typeof (logger as Partial<Logger>).isLevelEnabled === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
