import './formats';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

/** An integer as a person writes it in a URL: no sign but minus, no fraction, exponent, base prefix or leading zero. */
const PLAIN_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/**
 * Validates requests with TypeBox itself instead of Fastify's default Ajv, for two reasons:
 * Ajv's `coerceTypes` would turn a JSON number amount into a string (the contract says amounts are
 * strings, never numbers), and its `removeAdditional` would silently drop unknown fields. Here only
 * querystring, params and headers (which are always strings on the wire) are converted; bodies are
 * checked as sent. Defaults are applied to every part.
 *
 * TypeBox's conversion is lenient about integers (`1.5` becomes 1, `true` 1, `0x10` 16, `1e2` 100), so
 * a string that is not a plain integer is kept as it came and fails the check: `?limit=1.5` is a 400,
 * not a page of one. And ids in the path or query are lower-cased: a UUID may be written in either case
 * (RFC 9562), and the services compare ids as strings (a customer's own id against its token's).
 */
export const typeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  const integerFields =
    httpPart === 'body' ? [] : propertiesOf(schema, (property) => property.type === 'integer');
  const uuidFields =
    httpPart === 'body' ? [] : propertiesOf(schema, (property) => property.format === 'uuid');
  // Both walk the schema and the value on every request; most schemas need neither (a headers schema of
  // strings converts nothing, a transfer body has no defaults), so each runs only where it can matter.
  const converts =
    httpPart !== 'body' && propertiesOf(schema, (property) => property.type !== 'string').length > 0;
  const defaults = hasDefaults(schema);
  return (value: unknown) => {
    const converted = converts ? convertStrictly(schema, value, integerFields) : value;
    const lowered = httpPart === 'body' ? converted : lowerCaseIds(converted, uuidFields);
    const candidate = defaults ? Value.Default(schema, lowered) : lowered;
    if (validator.Check(candidate)) return { value: candidate };
    return { error: validator.Errors(candidate) as FastifySchemaValidationError[] };
  };
};

/** The names of an object schema's properties that `accepts` (querystrings, params and headers are flat objects). */
function propertiesOf(
  schema: TSchema,
  accepts: (property: { type?: unknown; format?: unknown }) => boolean,
): string[] {
  const properties =
    (schema as { properties?: Record<string, { type?: unknown; format?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => accepts(property))
    .map(([name]) => name);
}

/** Whether any part of the schema declares a `default` (a property named "default" counts too: a harmless extra walk). */
function hasDefaults(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  if (Array.isArray(schema)) return schema.some(hasDefaults);
  return Object.entries(schema).some(([name, member]) => name === 'default' || hasDefaults(member));
}

function lowerCaseIds(value: unknown, uuidFields: readonly string[]): unknown {
  if (uuidFields.length === 0 || !isRecord(value)) return value;
  const lowered = { ...value };
  for (const field of uuidFields) {
    const id = lowered[field];
    if (typeof id === 'string') lowered[field] = id.toLowerCase();
  }
  return lowered;
}

/**
 * `Value.Convert`, except that each integer field sent as anything but a plain integer stays as sent.
 * The loose ones are noted first: the conversion may change the object in place.
 */
function convertStrictly(schema: TSchema, value: unknown, integerFields: readonly string[]): unknown {
  const loose = isRecord(value)
    ? integerFields.flatMap((field) => {
        const sent = value[field];
        return typeof sent === 'string' && !PLAIN_INTEGER.test(sent) ? [[field, sent] as const] : [];
      })
    : [];
  const converted = Value.Convert(schema, value);
  if (loose.length === 0 || !isRecord(converted)) return converted;
  return { ...converted, ...Object.fromEntries(loose) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
