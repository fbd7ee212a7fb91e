import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';
import { DatabaseConfigSchema, HttpConfigSchema } from './fragments';

describe('loadConfig', () => {
  it('applies defaults and converts strings to the declared types', () => {
    const config = loadConfig(
      Type.Object({ ...HttpConfigSchema.properties, ...DatabaseConfigSchema.properties }),
      { PORT: '8080' },
    );
    expect(config.PORT).toBe(8080);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.DATABASE_POOL_SIZE_MAX).toBe(10);
  });

  it('fails with one line naming the bad variable', () => {
    expect(() => loadConfig(HttpConfigSchema, { PORT: 'eighty' })).toThrowError(ConfigError);
    expect(() => loadConfig(HttpConfigSchema, { PORT: 'eighty' })).toThrowError(
      /^Invalid configuration: PORT .*"eighty"/,
    );
    expect(() => loadConfig(HttpConfigSchema, { PORT: '70000' })).toThrowError(/PORT/);
  });

  it('names missing required variables', () => {
    const schema = Type.Object({ JWT_SECRET: Type.String({ minLength: 32 }) });
    expect(() => loadConfig(schema, {})).toThrowError('Invalid configuration: JWT_SECRET must be set');
  });

  it('never echoes a secret value', () => {
    const schema = Type.Object({ JWT_SECRET: Type.String({ minLength: 32 }) });
    let message = '';
    try {
      loadConfig(schema, { JWT_SECRET: 'too-short-but-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/JWT_SECRET/);
    expect(message).not.toContain('too-short-but-secret');
  });

  it('never echoes the password of a malformed URL', () => {
    const schema = Type.Object({ DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }) });
    expect(() =>
      loadConfig(schema, { DATABASE_URL: 'pgsql://ledgerline:S3cretPw@db:5432/ledgerline' }),
    ).toThrowError(
      /^Invalid configuration: DATABASE_URL .*\(got "pgsql:\/\/\(hidden\)@db:5432\/ledgerline"\)$/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(HttpConfigSchema, { PORT: '' }).PORT).toBe(3000);
  });
});
