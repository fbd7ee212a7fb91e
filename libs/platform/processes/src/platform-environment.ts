import { randomBytes } from 'node:crypto';
import { UPSTREAM_NAMES, type UpstreamName } from '@ledgerline/config';
import { generateTokenSigningKeys } from '@ledgerline/crypto';
import type { PlatformApp } from './build-apps';
import { freePort } from './free-port';

/** The apps that serve HTTP; the gateway is the one base URL in front of the four APIs. */
export const HTTP_APPS = [
  'accounts-api',
  'transactions-api',
  'compliance-api',
  'ops-api',
  'gateway',
] as const satisfies readonly PlatformApp[];
export type HttpApp = (typeof HTTP_APPS)[number];

/** The variable that tells the gateway where an upstream listens: `ACCOUNTS_API_URL` for `accounts`. */
export function upstreamUrlVariable(upstream: UpstreamName): string {
  return `${upstream.toUpperCase()}_API_URL`;
}

/** The ports `npm start` uses on a developer's machine; the gateway's is the one base URL. */
export const LOCAL_HTTP_PORTS: Readonly<Record<HttpApp, number>> = {
  gateway: 3000,
  'accounts-api': 3001,
  'transactions-api': 3002,
  'ops-api': 3003,
  'compliance-api': 3004,
};

/** The apps without an API (relay, workers); each can open an operations port (OPS_PORT). */
export type BackgroundApp = Exclude<PlatformApp, HttpApp>;

/** The operations ports `npm start` gives the relay and the workers (`/healthz`, `/readyz`, `/metrics`). */
export const LOCAL_OPS_PORTS: Readonly<Record<BackgroundApp, number>> = {
  'outbox-relay': 3005,
  'compliance-worker': 3006,
  'ledger-worker': 3007,
};

/** A spare operations port for each background app, for a platform that shares the machine with others. */
export function freeOpsPorts(): Promise<Record<BackgroundApp, number>> {
  return freePortsFor(Object.keys(LOCAL_OPS_PORTS) as BackgroundApp[]);
}

export function isHttpApp(app: PlatformApp): app is HttpApp {
  return (HTTP_APPS as readonly PlatformApp[]).includes(app);
}

/** Where each upstream of the gateway listens on this host: `accounts` is accounts-api, and so on. */
export function upstreamUrls(ports: Readonly<Record<HttpApp, number>>): Record<UpstreamName, string> {
  return Object.fromEntries(
    UPSTREAM_NAMES.map((name) => [name, `http://127.0.0.1:${ports[`${name}-api`]}`]),
  ) as Record<UpstreamName, string>;
}

/** A spare port for each HTTP app, for a platform that shares the machine with others (tests, bench, chaos). */
export function freeHttpPorts(): Promise<Record<HttpApp, number>> {
  return freePortsFor(HTTP_APPS);
}

async function freePortsFor<A extends PlatformApp>(apps: readonly A[]): Promise<Record<A, number>> {
  const ports: Partial<Record<A, number>> = {};
  for (const app of apps) ports[app] = await freePort();
  return ports as Record<A, number>;
}

export interface PlatformWiring {
  /** What every app gets: database, Redis, queue prefix, secrets, log level and the like. */
  shared: Record<string, string>;
  /**
   * The access-token signing key (`JWT_PRIVATE_KEY`, `JWT_ACTIVE_KID`), which only accounts-api gets: it
   * issues the tokens, the other services verify them with the public keys in `shared`.
   */
  token_signing: Readonly<Record<string, string>>;
  /** The port each HTTP app listens on. */
  ports: Readonly<Record<HttpApp, number>>;
  /** The operations port of each background app; none is opened where this is absent. */
  ops_ports?: Readonly<Record<BackgroundApp, number>>;
  /** The bootstrap admin API client the accounts API creates. */
  admin_client_id: string;
  admin_client_secret: string;
}

/**
 * One app's environment on one host: `shared`, plus where it listens, the token signing key and the
 * bootstrap admin client (accounts-api), the upstreams (gateway), and TRUST_PROXY for the APIs, which sit behind the gateway
 * or nginx on this host (the edge sets X-Forwarded-For to the client's address, so that rate limits and
 * the login lockout see it; only loopback peers are believed).
 */
export function appEnvironment(app: PlatformApp, wiring: PlatformWiring): Record<string, string> {
  const environment: Record<string, string> = { HOST: '127.0.0.1', ...wiring.shared };
  if (isHttpApp(app)) environment['PORT'] = String(wiring.ports[app]);
  else if (wiring.ops_ports !== undefined) environment['OPS_PORT'] = String(wiring.ops_ports[app]);
  if (isHttpApp(app) && app !== 'gateway') environment['TRUST_PROXY'] = 'loopback';
  if (app === 'accounts-api') {
    Object.assign(environment, wiring.token_signing);
    environment['BOOTSTRAP_ADMIN_CLIENT_ID'] = wiring.admin_client_id;
    environment['BOOTSTRAP_ADMIN_CLIENT_SECRET'] = wiring.admin_client_secret;
  }
  if (app === 'gateway') {
    for (const [upstream, url] of Object.entries(upstreamUrls(wiring.ports)))
      environment[upstreamUrlVariable(upstream as UpstreamName)] = url;
  }
  return environment;
}

/**
 * Secrets of a platform that lives for one run (a test file, a benchmark, a chaos run), all random: an
 * ES256 token key pair, whose public half goes into `shared` and whose private half is `token_signing`
 * (as in production, only the issuing service can mint a token), and one encryption key.
 */
export function throwawaySecrets(key_id: string): Pick<PlatformWiring, 'shared' | 'token_signing'> {
  const token_keys = generateTokenSigningKeys(key_id);
  return {
    shared: {
      ...token_keys.verifying,
      ENCRYPTION_KEYS: `${key_id}:${randomBytes(32).toString('base64')}`,
      ENCRYPTION_ACTIVE_KEY_ID: key_id,
    },
    token_signing: token_keys.signing,
  };
}
