import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateLocalSecrets } from './local-secrets';

describe('npm start local secrets', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ledgerline-secrets-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('makes them once, readable by the owner only, and returns the same ones on the next start', async () => {
    const first = await loadOrCreateLocalSecrets(path.join(directory, '.data'));
    expect(first.token_keys.verifying.JWT_ALGORITHM).toBe('ES256');
    expect(first.token_keys.signing.JWT_PRIVATE_KEY).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(Buffer.from(first.encryption_key, 'base64')).toHaveLength(32);
    expect((await stat(path.join(directory, '.data', 'local-secrets.json'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateLocalSecrets(path.join(directory, '.data'))).toEqual(first);
  });

  it('gives a file from before token key pairs a key pair and keeps its encryption key', async () => {
    const file = path.join(directory, 'local-secrets.json');
    const old = {
      jwt_secret: 'x'.repeat(64),
      encryption_key_id: 'local-20261101',
      encryption_key: Buffer.alloc(32, 7).toString('base64'),
    };
    await writeFile(file, JSON.stringify(old));
    const secrets = await loadOrCreateLocalSecrets(directory);
    expect(secrets).toMatchObject({
      encryption_key_id: old.encryption_key_id,
      encryption_key: old.encryption_key,
    });
    expect(secrets.token_keys.signing.JWT_ACTIVE_KID).toMatch(/^local-\d{8}$/);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(secrets);
  });
});
