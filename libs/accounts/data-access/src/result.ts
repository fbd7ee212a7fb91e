/** A business outcome: the value, or a typed error code with a sentence fit for a client. */
export type Outcome<T, E extends string> = { ok: true; value: T } | { ok: false; error: E; message: string };

export function success<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function failure<E extends string>(
  error: E,
  message: string,
): { ok: false; error: E; message: string } {
  return { ok: false, error, message };
}
