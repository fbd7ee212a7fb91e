import type { Static, TObject } from 'typebox';
import Value from 'typebox/value';

/** A configuration value is missing or malformed. The message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the variables named by `schema` from `environment`, applies defaults, converts strings to the
 * declared types and validates the result. Unknown variables are ignored; empty strings count as unset.
 */
export function loadConfig<T extends TObject>(schema: T, environment: Environment): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = environment[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const converted = Value.Convert(schema, Value.Default(schema, raw)) as Record<string, unknown>;
  const firstError = Value.Errors(schema, converted)[0];
  if (firstError !== undefined) throw new ConfigError(describe(firstError, raw));
  return converted as Static<T>;
}

function describe(
  error: { instancePath: string; message: string; params: unknown },
  raw: Record<string, unknown>,
) {
  const params = error.params as { requiredProperties?: string[] };
  if (error.instancePath === '' && params.requiredProperties) {
    return `Invalid configuration: ${params.requiredProperties.join(', ')} must be set`;
  }
  const name = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  // Never echo values that may be secrets; say what shape was expected instead. A URL may carry a
  // password (`postgresql://user:password@host`): its credentials are left out.
  const shown = /SECRET|PASSWORD|KEY|TOKEN/i.test(name)
    ? '(hidden)'
    : JSON.stringify(withoutCredentials(raw[name]));
  return `Invalid configuration: ${name} ${error.message} (got ${shown})`;
}

/** `scheme://user:password@rest` as `scheme://(hidden)@rest`; anything else as it is. */
function withoutCredentials(value: unknown): unknown {
  return typeof value === 'string'
    ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1(hidden)@')
    : value;
}
