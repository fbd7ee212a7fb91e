import './formats';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

/**
 * Validates requests with TypeBox itself instead of Fastify's default Ajv, for two reasons:
 * Ajv's `coerceTypes` would turn a JSON number amount into a string (the contract says amounts are
 * strings, never numbers), and its `removeAdditional` would silently drop unknown fields. Here only
 * querystring, params and headers (which are always strings on the wire) are converted; bodies are
 * checked as sent. Defaults are applied to every part.
 */
export const typeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (value: unknown) => {
    const converted = httpPart === 'body' ? value : Value.Convert(schema, value);
    const candidate = Value.Default(schema, converted);
    if (validator.Check(candidate)) return { value: candidate };
    return { error: validator.Errors(candidate) as FastifySchemaValidationError[] };
  };
};
