import type { FastifySchemaValidationError } from 'fastify';
import type { FieldError } from '../problems/problem-error';

const PART_PREFIX: Record<string, string> = {
  body: '/body',
  querystring: '/query',
  params: '/params',
  headers: '/headers',
};

/** At most this many field errors are returned; one bad array should not produce a huge response. */
const FIELD_ERRORS_MAX = 20;

/**
 * Turns schema validation errors into `{ path, message }` pairs. `path` is a JSON pointer into the
 * request (`/body/amount`), so a client can tell a bad body field from a bad query parameter.
 */
export function fieldErrorsOf(
  errors: readonly FastifySchemaValidationError[],
  part: string | undefined,
): FieldError[] {
  const prefix = PART_PREFIX[part ?? 'body'] ?? '';
  const result: FieldError[] = [];
  const seen = new Set<string>();
  // One message per path: a value failing a union otherwise yields one error per branch.
  const add = (path: string, message: string) => {
    if (seen.has(path) || result.length >= FIELD_ERRORS_MAX) return;
    seen.add(path);
    result.push({ path, message });
  };
  for (const error of errors) {
    const base = prefix + error.instancePath;
    const params = error.params as {
      requiredProperties?: unknown;
      missingProperty?: unknown;
      additionalProperties?: unknown;
      additionalProperty?: unknown;
    };
    if (error.keyword === 'required') {
      for (const name of namesOf(params.requiredProperties ?? params.missingProperty))
        add(`${base}/${escape(name)}`, 'is required');
    } else if (error.keyword === 'additionalProperties') {
      for (const name of namesOf(params.additionalProperties ?? params.additionalProperty))
        add(`${base}/${escape(name)}`, 'is not allowed');
    } else if (error.keyword === 'boolean' && error.schemaPath.endsWith('additionalProperties')) {
      // TypeBox reports a forbidden property twice (as `additionalProperties` and as a false schema).
      continue;
    } else {
      add(base === '' ? '/' : base, error.message ?? 'is not valid');
    }
  }
  return result;
}

function namesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? [value] : [];
}

function escape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
