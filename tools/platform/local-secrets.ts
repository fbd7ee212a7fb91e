import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateTokenSigningKeys, type TokenSigningKeys } from '@ledgerline/crypto';

/**
 * Secrets for a local platform started with `npm start`: generated once per checkout and kept in
 * the git-ignored `.data/` folder, so that restarts can still read what earlier runs encrypted and
 * accept the tokens earlier runs issued. Deployments set the `JWT_*` key pair and ENCRYPTION_KEYS
 * themselves and never use this file.
 */
export interface LocalSecrets {
  /** ES256: the public half for every service, the private half for accounts-api only. */
  token_keys: TokenSigningKeys;
  encryption_key_id: string;
  encryption_key: string;
}

const FILE_NAME = 'local-secrets.json';

export async function loadOrCreateLocalSecrets(dataDirectory: string): Promise<LocalSecrets> {
  const file = path.join(dataDirectory, FILE_NAME);
  const stored = await readStored(file);
  if (
    stored?.token_keys !== undefined &&
    stored.encryption_key !== undefined &&
    stored.encryption_key_id !== undefined
  ) {
    return stored as LocalSecrets;
  }
  // A file from before token key pairs (it held an HS256 `jwt_secret`) keeps its encryption key: data
  // encrypted under it must stay readable. Its tokens were short-lived and are simply no longer accepted.
  const key_id = `local-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  const secrets: LocalSecrets = {
    token_keys: generateTokenSigningKeys(key_id),
    encryption_key_id: stored?.encryption_key_id ?? key_id,
    encryption_key: stored?.encryption_key ?? randomBytes(32).toString('base64'),
  };
  await mkdir(dataDirectory, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function readStored(file: string): Promise<Partial<LocalSecrets> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
