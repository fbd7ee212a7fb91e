import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Secrets for a local platform started with `npm start`: generated once per checkout and kept in
 * the git-ignored `.data/` folder, so that restarts can still read what earlier runs encrypted.
 * Deployments set JWT_SECRET and ENCRYPTION_KEYS themselves and never use this file.
 */
export interface LocalSecrets {
  jwt_secret: string;
  encryption_key_id: string;
  encryption_key: string;
}

export async function loadOrCreateLocalSecrets(dataDirectory: string): Promise<LocalSecrets> {
  const file = path.join(dataDirectory, 'local-secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: LocalSecrets = {
    jwt_secret: randomBytes(48).toString('base64url'),
    encryption_key_id: `local-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`,
    encryption_key: randomBytes(32).toString('base64'),
  };
  await mkdir(dataDirectory, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
