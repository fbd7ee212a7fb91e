/**
 * Which service answers which path. The gateway (and nginx in infra/) send each prefix to one
 * upstream, the first prefix that matches; anything not listed belongs to the accounts service,
 * which also owns auth and clients.
 */
export const UPSTREAM_NAMES = ['accounts', 'transactions', 'compliance', 'ops'] as const;
export type UpstreamName = (typeof UPSTREAM_NAMES)[number];

export const ROUTED_PREFIXES: ReadonlyArray<{ prefix: string; upstream: UpstreamName }> = [
  { prefix: '/v1/transfers', upstream: 'transactions' },
  { prefix: '/v1/deposits', upstream: 'transactions' },
  { prefix: '/v1/withdrawals', upstream: 'transactions' },
  { prefix: '/v1/compliance', upstream: 'compliance' },
  { prefix: '/v1/ops', upstream: 'ops' },
  // The queue dashboard (bull-board) and its sign-in page.
  { prefix: '/admin', upstream: 'ops' },
  { prefix: '/v1', upstream: 'accounts' },
];

/** The largest sanctions list upload: the real SDN.CSV is several MB; every other body is 1 MiB at most. */
export const SANCTIONS_LIST_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * Paths whose request bodies may be larger than the default limit, with their own: nginx gives them
 * their own `client_max_body_size` (infra/nginx, bench/lib/nginx.ts) and the service its route limit.
 * The gateway streams every body through untouched, so it needs nothing.
 */
export const LARGE_BODY_ROUTES: ReadonlyArray<{
  path: string;
  upstream: UpstreamName;
  body_limit_bytes: number;
}> = [
  {
    path: '/v1/compliance/sanctions-lists',
    upstream: 'compliance',
    body_limit_bytes: SANCTIONS_LIST_BODY_LIMIT_BYTES,
  },
];

/**
 * Paths every service serves to the cluster only: Prometheus scrapes each process at its own address.
 * The edge (nginx, the gateway, the Kubernetes Ingress) answers them with the services' own 404 problem
 * instead of passing them on, so that the outside sees neither the request mix nor the platform's backlog.
 */
export const INTERNAL_PATHS: readonly string[] = ['/metrics'];

/** The detail of the services' 404 for a path no route matches; the edge answers internal paths with it. */
export const NO_ROUTE_DETAIL = 'No resource matches this request.';
