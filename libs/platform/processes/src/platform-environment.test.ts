import { describe, expect, it } from 'vitest';
import { appEnvironment, appReadiness, PLATFORM_APPS, throwawaySecrets, type PlatformWiring } from './index';

const ports = {
  gateway: 4000,
  'accounts-api': 4001,
  'transactions-api': 4002,
  'ops-api': 4003,
  'compliance-api': 4004,
};
const wiring: PlatformWiring = {
  ports,
  admin_client_id: 'admin',
  admin_client_secret: 'secret',
  shared: { LOG_LEVEL: 'warn' },
  token_signing: { JWT_PRIVATE_KEY: 'private', JWT_ACTIVE_KID: 'k1' },
};

describe('how each app is wired', () => {
  it('gives every app the shared variables, and each its own part', () => {
    for (const app of PLATFORM_APPS)
      expect(appEnvironment(app, wiring)).toMatchObject({ LOG_LEVEL: 'warn', HOST: '127.0.0.1' });
    expect(appEnvironment('accounts-api', wiring)).toMatchObject({
      PORT: '4001',
      TRUST_PROXY: 'loopback',
      BOOTSTRAP_ADMIN_CLIENT_ID: 'admin',
      BOOTSTRAP_ADMIN_CLIENT_SECRET: 'secret',
      JWT_PRIVATE_KEY: 'private',
      JWT_ACTIVE_KID: 'k1',
    });
    for (const app of PLATFORM_APPS.filter((name) => name !== 'accounts-api'))
      expect(appEnvironment(app, wiring), app).not.toHaveProperty('JWT_PRIVATE_KEY');
    expect(appEnvironment('transactions-api', wiring)).toMatchObject({
      PORT: '4002',
      TRUST_PROXY: 'loopback',
    });
    expect(appEnvironment('ops-api', wiring)).toMatchObject({ PORT: '4003', TRUST_PROXY: 'loopback' });
    expect(appEnvironment('compliance-api', wiring)).toMatchObject({ PORT: '4004', TRUST_PROXY: 'loopback' });
    expect(appEnvironment('gateway', wiring)).toMatchObject({
      PORT: '4000',
      ACCOUNTS_API_URL: 'http://127.0.0.1:4001',
      TRANSACTIONS_API_URL: 'http://127.0.0.1:4002',
      OPS_API_URL: 'http://127.0.0.1:4003',
      COMPLIANCE_API_URL: 'http://127.0.0.1:4004',
    });
    expect(appEnvironment('gateway', wiring)).not.toHaveProperty('TRUST_PROXY');
    expect(appEnvironment('ledger-worker', wiring)).not.toHaveProperty('PORT');
    for (const app of ['outbox-relay', 'compliance-worker', 'ledger-worker'] as const)
      expect(appEnvironment(app, wiring), app).not.toHaveProperty('OPS_PORT');
  });

  it('gives the relay and the workers their operations ports where the wiring has them, and the APIs none', () => {
    const withOps: PlatformWiring = {
      ...wiring,
      ops_ports: { 'outbox-relay': 4005, 'compliance-worker': 4006, 'ledger-worker': 4007 },
    };
    expect(appEnvironment('outbox-relay', withOps)).toMatchObject({ OPS_PORT: '4005' });
    expect(appEnvironment('compliance-worker', withOps)).toMatchObject({ OPS_PORT: '4006' });
    expect(appEnvironment('ledger-worker', withOps)).toMatchObject({ OPS_PORT: '4007' });
    for (const app of ['accounts-api', 'transactions-api', 'compliance-api', 'ops-api', 'gateway'] as const)
      expect(appEnvironment(app, withOps), app).not.toHaveProperty('OPS_PORT');
  });

  it('asks HTTP apps for /readyz and waits for the workers to log their start', () => {
    expect(appReadiness('gateway', ports)).toEqual({ http: 'http://127.0.0.1:4000' });
    expect(appReadiness('ledger-worker', ports)).toEqual({ log_message: 'ledger worker started' });
  });

  it('makes fresh secrets each time, the token signing key apart from what every app gets', () => {
    const [first, second] = [throwawaySecrets('t'), throwawaySecrets('t')];
    expect(first.shared).toMatchObject({ JWT_ALGORITHM: 'ES256', ENCRYPTION_ACTIVE_KEY_ID: 't' });
    expect(first.shared['JWT_PUBLIC_KEYS']).toMatch(/^t=-----BEGIN PUBLIC KEY-----/);
    expect(first.shared).not.toHaveProperty('JWT_PRIVATE_KEY');
    expect(first.token_signing).toMatchObject({
      JWT_ACTIVE_KID: 't',
      JWT_PRIVATE_KEY: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
    });
    expect(first.shared['ENCRYPTION_KEYS']).toMatch(/^t:/);
    expect(first.token_signing['JWT_PRIVATE_KEY']).not.toBe(second.token_signing['JWT_PRIVATE_KEY']);
    expect(first.shared['ENCRYPTION_KEYS']).not.toBe(second.shared['ENCRYPTION_KEYS']);
  });
});
