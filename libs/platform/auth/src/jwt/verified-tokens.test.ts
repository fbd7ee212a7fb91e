import { describe, expect, it } from 'vitest';
import { createVerifiedTokens, type VerifiedToken } from './verified-tokens';

const service: VerifiedToken = {
  principal: { client_id: 'bank-1', role: 'service', customer_id: null },
  claims: { sub: 'bank-1', role: 'service', exp: 5 },
};
const admin: VerifiedToken = {
  principal: { client_id: 'ops-1', role: 'admin', customer_id: null },
  claims: { sub: 'ops-1', role: 'admin', exp: 1 },
};

describe('createVerifiedTokens', () => {
  it('knows a remembered token until its expiry, and not from that instant on', () => {
    let now = 1_000;
    const tokens = createVerifiedTokens({ max_entries: 10, now: () => now });
    expect(tokens.verifiedAs('token-a')).toBeUndefined();
    tokens.remember('token-a', service, 5_000);
    expect(tokens.verifiedAs('token-a')).toEqual(service);
    now = 4_999;
    expect(tokens.verifiedAs('token-a')).toEqual(service);
    now = 5_000;
    expect(tokens.verifiedAs('token-a')).toBeUndefined();
    now = 1_000;
    expect(tokens.verifiedAs('token-a')).toBeUndefined();
  });

  it('tells tokens apart by their whole text', () => {
    const tokens = createVerifiedTokens({ max_entries: 10, now: () => 0 });
    tokens.remember('Bearer aaa.bbb.ccc', service, 1_000);
    expect(tokens.verifiedAs('Bearer aaa.bbb.cc')).toBeUndefined();
    expect(tokens.verifiedAs('Bearer aaa.bbb.ccd')).toBeUndefined();
    expect(tokens.verifiedAs('bearer aaa.bbb.ccc')).toBeUndefined();
    expect(tokens.verifiedAs('Bearer aaa.bbb.ccc')).toEqual(service);
  });

  it('hands every request the same entry, frozen, so no request can change what the next one sees', () => {
    const tokens = createVerifiedTokens({ max_entries: 10, now: () => 0 });
    tokens.remember(
      'token-b',
      { principal: { ...admin.principal }, claims: { sub: 'ops-1', exp: 1 } },
      1_000,
    );
    const first = tokens.verifiedAs('token-b');
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.principal)).toBe(true);
    expect(Object.isFrozen(first?.claims)).toBe(true);
    expect(tokens.verifiedAs('token-b')).toBe(first);
  });

  it('lets the oldest token go when full, and keeps the rest', () => {
    const tokens = createVerifiedTokens({ max_entries: 2, now: () => 0 });
    tokens.remember('first', service, 1_000);
    tokens.remember('second', admin, 1_000);
    tokens.remember('first', service, 2_000);
    tokens.remember('third', admin, 1_000);
    expect(tokens.verifiedAs('first')).toBeUndefined();
    expect(tokens.verifiedAs('second')).toEqual(admin);
    expect(tokens.verifiedAs('third')).toEqual(admin);
  });
});
