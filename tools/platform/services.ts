/** The platform's processes, in start order, and the port of each HTTP service. */
export const HTTP_PORTS = { gateway: 3000, 'accounts-api': 3001, 'transactions-api': 3002 } as const;

export const SERVICES: ReadonlyArray<{ name: string; entry: string; port?: number }> = [
  { name: 'accounts-api', entry: 'apps/accounts-api/src/main.ts', port: HTTP_PORTS['accounts-api'] },
  { name: 'transactions-api', entry: 'apps/transactions-api/src/main.ts', port: HTTP_PORTS['transactions-api'] },
  { name: 'outbox-relay', entry: 'apps/outbox-relay/src/main.ts' },
  { name: 'compliance-worker', entry: 'apps/compliance-worker/src/main.ts' },
  { name: 'ledger-worker', entry: 'apps/ledger-worker/src/main.ts' },
  { name: 'gateway', entry: 'apps/gateway/src/main.ts', port: HTTP_PORTS.gateway },
];
