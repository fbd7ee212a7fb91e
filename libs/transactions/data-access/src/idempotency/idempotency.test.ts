import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advisoryLockKey, canonicalJson, requestHash } from './idempotency';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('is the same for any key order and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const shuffled = JSON.parse(
          JSON.stringify(value, (_key, member: unknown) => reverseKeys(member)),
        ) as unknown;
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('requestHash', () => {
  const body = { amount: '1.00', currency: 'USD' };
  it('covers method, path and body', () => {
    const base = requestHash({ method: 'POST', path: '/v1/transfers', body });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(
      requestHash({ method: 'post', path: '/v1/transfers', body: { currency: 'USD', amount: '1.00' } }),
    ).toBe(base);
    expect(requestHash({ method: 'POST', path: '/v1/deposits', body })).not.toBe(base);
    expect(requestHash({ method: 'POST', path: '/v1/transfers', body: { ...body, amount: '1.0' } })).not.toBe(
      base,
    );
  });
});

describe('advisoryLockKey', () => {
  it('is a signed 64-bit value that separates client from key', () => {
    const key = advisoryLockKey('client-a', 'key-1');
    expect(key).toBe(advisoryLockKey('client-a', 'key-1'));
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
    expect(advisoryLockKey('client-b', 'key-1')).not.toBe(key);
    expect(advisoryLockKey('ab', 'c')).not.toBe(advisoryLockKey('a', 'bc'));
  });
});

function reverseKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).reverse());
}
