import { randomBytes } from 'node:crypto';
import type { PlatformApp } from './build-apps';

/** The apps that serve HTTP; the gateway is the one base URL in front of the two APIs. */
export const HTTP_APPS = [
  'accounts-api',
  'transactions-api',
  'gateway',
] as const satisfies readonly PlatformApp[];
export type HttpApp = (typeof HTTP_APPS)[number];

export function isHttpApp(app: PlatformApp): app is HttpApp {
  return (HTTP_APPS as readonly PlatformApp[]).includes(app);
}

export interface PlatformWiring {
  /** What every app gets: database, Redis, queue prefix, secrets, log level and the like. */
  shared: Record<string, string>;
  /** The port each HTTP app listens on. */
  ports: Record<HttpApp, number>;
  /** The bootstrap admin API client the accounts API creates. */
  admin_client_id: string;
  admin_client_secret: string;
}

/**
 * One app's environment on one host: `shared`, plus where it listens, the bootstrap admin client
 * (accounts-api), the upstreams (gateway), and TRUST_PROXY for the APIs, which sit behind the gateway
 * (it sets X-Forwarded-For, so that rate limits see the real client).
 */
export function appEnvironment(app: PlatformApp, wiring: PlatformWiring): Record<string, string> {
  const environment: Record<string, string> = { HOST: '127.0.0.1', ...wiring.shared };
  if (isHttpApp(app)) environment['PORT'] = String(wiring.ports[app]);
  if (app === 'accounts-api' || app === 'transactions-api') environment['TRUST_PROXY'] = 'true';
  if (app === 'accounts-api') {
    environment['BOOTSTRAP_ADMIN_CLIENT_ID'] = wiring.admin_client_id;
    environment['BOOTSTRAP_ADMIN_CLIENT_SECRET'] = wiring.admin_client_secret;
  }
  if (app === 'gateway') {
    environment['ACCOUNTS_API_URL'] = `http://127.0.0.1:${wiring.ports['accounts-api']}`;
    environment['TRANSACTIONS_API_URL'] = `http://127.0.0.1:${wiring.ports['transactions-api']}`;
  }
  return environment;
}

/** Secrets of a platform that lives for one run (a test file, a benchmark, a chaos run): HS256 tokens and one encryption key, all random. */
export function throwawaySecrets(key_id: string): Record<string, string> {
  return {
    JWT_ALGORITHM: 'HS256',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEYS: `${key_id}:${randomBytes(32).toString('base64')}`,
    ENCRYPTION_ACTIVE_KEY_ID: key_id,
  };
}
