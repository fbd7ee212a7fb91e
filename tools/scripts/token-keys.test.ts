import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AuthConfigSchema, jwtOptionsFromConfig } from '@ledgerline/auth';
import { loadConfig } from '@ledgerline/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The operator's path: tools/scripts/token-keys.ts run as a process, its files read back as env files. */
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
const script = path.join(root, 'tools/scripts/token-keys.ts');
const PROCESS_TIMEOUT_MS = 60_000;

const tokenKeys = (...args: string[]) =>
  run(process.execPath, [tsx, script, ...args], { cwd: root, timeout: PROCESS_TIMEOUT_MS });

async function envFile(file: string): Promise<Record<string, string>> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  return Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('token-keys CLI', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-token-keys-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it(
    'writes a key pair the services load: the public half for all, the private half apart and private',
    { timeout: 90_000 },
    async () => {
      const { stdout } = await tokenKeys(directory, '2026-12');
      expect(stdout).toMatch(/kid 2026-12/);
      const verifying = await envFile(path.join(directory, 'token-verifying.env'));
      const signing = await envFile(path.join(directory, 'token-signing.env'));
      expect(Object.keys(verifying).sort()).toEqual(['JWT_ALGORITHM', 'JWT_PUBLIC_KEYS']);
      expect(Object.keys(signing).sort()).toEqual(['JWT_ACTIVE_KID', 'JWT_PRIVATE_KEY']);
      expect((await stat(path.join(directory, 'token-signing.env'))).mode & 0o077).toBe(0);

      expect(jwtOptionsFromConfig(loadConfig(AuthConfigSchema, { ...verifying, ...signing }))).toMatchObject({
        algorithm: 'ES256',
        signing: { kid: '2026-12' },
      });
      expect(jwtOptionsFromConfig(loadConfig(AuthConfigSchema, verifying))).not.toHaveProperty('signing');

      // Run again into the same directory: the deployment's key stays as it was.
      await expect(tokenKeys(directory, '2027-01')).rejects.toMatchObject({ code: 1 });
      expect(await envFile(path.join(directory, 'token-signing.env'))).toEqual(signing);
    },
  );

  it('refuses a kid the services would not accept', { timeout: 90_000 }, async () => {
    await expect(tokenKeys(path.join(directory, 'other'), 'no spaces')).rejects.toMatchObject({ code: 2 });
  });
});
