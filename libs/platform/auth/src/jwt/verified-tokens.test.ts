import type { Principal } from '@ledgerline/http';
import { describe, expect, it } from 'vitest';
import { createVerifiedTokens } from './verified-tokens';

const service: Principal = { client_id: 'bank-1', role: 'service', customer_id: null };
const admin: Principal = { client_id: 'ops-1', role: 'admin', customer_id: null };

describe('createVerifiedTokens', () => {
  it('knows a remembered token until its expiry, and not from that instant on', () => {
    let now = 1_000;
    const tokens = createVerifiedTokens({ max_entries: 10, now: () => now });
    expect(tokens.principalOf('token-a')).toBeUndefined();
    tokens.remember('token-a', service, 5_000);
    expect(tokens.principalOf('token-a')).toEqual(service);
    now = 4_999;
    expect(tokens.principalOf('token-a')).toEqual(service);
    now = 5_000;
    expect(tokens.principalOf('token-a')).toBeUndefined();
    now = 1_000;
    expect(tokens.principalOf('token-a')).toBeUndefined();
  });

  it('tells tokens apart by their whole text', () => {
    const tokens = createVerifiedTokens({ max_entries: 10, now: () => 0 });
    tokens.remember('Bearer aaa.bbb.ccc', service, 1_000);
    expect(tokens.principalOf('Bearer aaa.bbb.cc')).toBeUndefined();
    expect(tokens.principalOf('Bearer aaa.bbb.ccd')).toBeUndefined();
    expect(tokens.principalOf('bearer aaa.bbb.ccc')).toBeUndefined();
    expect(tokens.principalOf('Bearer aaa.bbb.ccc')).toEqual(service);
  });

  it('lets the oldest token go when full, and keeps the rest', () => {
    const tokens = createVerifiedTokens({ max_entries: 2, now: () => 0 });
    tokens.remember('first', service, 1_000);
    tokens.remember('second', admin, 1_000);
    tokens.remember('first', service, 2_000);
    tokens.remember('third', admin, 1_000);
    expect(tokens.principalOf('first')).toBeUndefined();
    expect(tokens.principalOf('second')).toEqual(admin);
    expect(tokens.principalOf('third')).toEqual(admin);
  });
});
