/**
 * A new ES256 key pair for access tokens, written as two environment files for a deployment:
 *
 * - `token-verifying.env` (JWT_ALGORITHM, JWT_PUBLIC_KEYS): for every API (accounts, transactions,
 *   compliance, ops); it lets them check tokens and nothing more.
 * - `token-signing.env` (JWT_PRIVATE_KEY, JWT_ACTIVE_KID, mode 0600): for accounts-api alone, which
 *   issues tokens at `/v1/auth/token`. No other service should hold it: with it anyone can mint an
 *   admin token.
 *
 * Usage: `npx tsx tools/scripts/token-keys.ts <directory> [kid]` (kid defaults to today, `2026-12-02`).
 * Kubernetes: `kubectl create secret generic ledgerline-token-signing --from-env-file=token-signing.env`
 * (infra/k8s mounts it into accounts-api only) and add token-verifying.env's two lines to the shared
 * `ledgerline` Secret. Docker Compose: put all four lines in infra/.env (infra/docker-compose.yml gives
 * the private key to accounts-api alone). PEMs are on one line, `\n` standing for each newline: leave
 * them unquoted in env files.
 *
 * To rotate: make a pair with a new kid, add its public key to JWT_PUBLIC_KEYS everywhere in front of
 * the old one (`new=...,old=...`) and deploy, then deploy accounts-api with the new signing file, and
 * drop the old public key once the tokens it signed have expired (JWT_TTL_SECONDS, 15 minutes by default).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateTokenSigningKeys, isTokenKeyId } from '@ledgerline/crypto';

async function main(): Promise<number> {
  const [directory, kid = new Date().toISOString().slice(0, 10)] = process.argv.slice(2);
  if (directory === undefined || !isTokenKeyId(kid)) {
    process.stderr.write('usage: token-keys <directory> [kid: 1-64 of A-Z a-z 0-9 . _ -]\n');
    return 2;
  }
  const keys = generateTokenSigningKeys(kid);
  await mkdir(directory, { recursive: true });
  const verifying = path.join(directory, 'token-verifying.env');
  const signing = path.join(directory, 'token-signing.env');
  // `wx`: never overwrite a deployment's key by running this twice into the same directory.
  await writeFile(verifying, envFile(keys.verifying), { flag: 'wx', mode: 0o644 });
  await writeFile(signing, envFile(keys.signing), { flag: 'wx', mode: 0o600 });
  process.stdout.write(
    `token-keys: kid ${kid}: ${verifying} for every API, ${signing} for accounts-api only\n`,
  );
  return 0;
}

function envFile(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`token-keys: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
