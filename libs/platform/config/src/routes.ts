/**
 * Which service answers which path. The gateway (and nginx in infra/) send each prefix to one
 * upstream; anything not listed belongs to the accounts service, which also owns auth and clients.
 */
export type UpstreamName = 'accounts' | 'transactions';

export const ROUTED_PREFIXES: ReadonlyArray<{ prefix: string; upstream: UpstreamName }> = [
  { prefix: '/v1/transfers', upstream: 'transactions' },
  { prefix: '/v1/deposits', upstream: 'transactions' },
  { prefix: '/v1/withdrawals', upstream: 'transactions' },
  { prefix: '/v1', upstream: 'accounts' },
];
