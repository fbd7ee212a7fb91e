import Type, { type TSchema } from 'typebox';
import { describe, expect, it } from 'vitest';
import { PageQuerySchema, UuidSchema } from '../schemas/common';
import { typeBoxValidatorCompiler } from './validator-compiler';

type Validate = (value: unknown) => { value?: unknown; error?: unknown };
const compile = (schema: TSchema, httpPart: string): Validate =>
  typeBoxValidatorCompiler({ schema, httpPart, method: 'GET', url: '/v1/things' }) as Validate;

describe('typeBoxValidatorCompiler', () => {
  const query = compile(PageQuerySchema, 'querystring');

  it('reads a plain integer limit from the query string and fills in the default', () => {
    expect(query({ limit: '5' })).toEqual({ value: { limit: 5 } });
    expect(query({ limit: '200' })).toEqual({ value: { limit: 200 } });
    expect(query({})).toEqual({ value: { limit: 50 } });
  });

  it('refuses a limit that is not written as a plain integer, instead of rounding or reinterpreting it', () => {
    for (const limit of ['1.5', '2.9', '200.5', 'true', '0x10', '1e2', '+5', ' 5', '05', '']) {
      expect(query({ limit }), limit).toHaveProperty('error');
    }
  });

  it('still refuses integers out of range', () => {
    for (const limit of ['0', '201', '-1']) expect(query({ limit }), limit).toHaveProperty('error');
  });

  it('reads an id in the path or query in either case as the same id', () => {
    const params = compile(Type.Object({ id: UuidSchema }), 'params');
    expect(params({ id: '019A5F3C-8B2E-7C41-9D0A-3E6F1B2C4D5E' })).toEqual({
      value: { id: '019a5f3c-8b2e-7c41-9d0a-3e6f1b2c4d5e' },
    });
    expect(params({ id: 'not-a-uuid' })).toHaveProperty('error');
  });

  it('checks bodies as sent: a number where a string belongs is refused, never converted', () => {
    const body = compile(PageQuerySchema, 'body');
    expect(body({ limit: '5' })).toHaveProperty('error');
    expect(body({ limit: 5 })).toEqual({ value: { limit: 5 } });
  });
});
