import type { FieldError } from '../problems/problem-error';

/** Deeper than any request the contract defines; deep enough that nothing legitimate is refused. */
export const JSON_BODY_DEPTH_MAX = 32;

/**
 * Finds what a JSON body may not carry, whatever the route: nesting deeper than
 * {@link JSON_BODY_DEPTH_MAX} (recursive code further on would overflow the stack) and NUL characters
 * in strings or keys (Postgres text and jsonb cannot store them). Returns the first offence, with its
 * JSON pointer, or undefined. Iterative, so a hostile body cannot overflow this check either.
 */
export function findForbiddenJsonContent(body: unknown): FieldError | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: body, path: '/body', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path, message: 'must not contain NUL characters' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= JSON_BODY_DEPTH_MAX)
      return { path, message: `must not be nested more than ${JSON_BODY_DEPTH_MAX} levels deep` };
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (key.includes('\u0000'))
        return {
          path: childPath.replaceAll('\u0000', '\\u0000'),
          message: 'keys must not contain NUL characters',
        };
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}
