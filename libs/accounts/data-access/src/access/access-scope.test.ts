import { describe, expect, it } from 'vitest';
import { accessScopeFor, ALL_ACCESS, scopeAllows } from './access-scope';

const ALICE = '0190f7a0-0000-7000-8000-000000000001';
const BOB = '0190f7a0-0000-7000-8000-000000000002';

describe('accessScopeFor', () => {
  it('gives every non-customer role the whole book', () => {
    for (const role of ['service', 'admin', 'operator', 'compliance']) {
      expect(accessScopeFor({ role, customer_id: null })).toEqual(ALL_ACCESS);
    }
  });

  it('limits a customer to its own records', () => {
    const scope = accessScopeFor({ role: 'customer', customer_id: ALICE });
    expect(scopeAllows(scope, ALICE)).toBe(true);
    expect(scopeAllows(scope, BOB)).toBe(false);
    expect(scopeAllows(scope, null)).toBe(false);
  });

  it('fails closed for a customer principal without a customer id', () => {
    const scope = accessScopeFor({ role: 'customer' });
    expect(scope).toEqual({ kind: 'none' });
    expect(scopeAllows(scope, ALICE)).toBe(false);
  });
});
