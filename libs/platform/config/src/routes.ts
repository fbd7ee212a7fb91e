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
