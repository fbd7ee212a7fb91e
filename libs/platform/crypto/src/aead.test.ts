import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION_1, open, seal } from './aead';

const key = randomBytes(32);
const context = Buffer.from('ledgerline/field:email');

describe('seal and open', () => {
  it('writes version 1 followed by a 12-byte IV, a 16-byte tag and the ciphertext', () => {
    const sealed = seal(key, Buffer.from('hello'), context);
    expect(sealed[0]).toBe(FORMAT_VERSION_1);
    expect(sealed).toHaveLength(1 + 12 + 16 + 5);
    expect(open(key, sealed, context)).toEqual({ ok: true, plaintext: Buffer.from('hello') });
  });

  it('uses a fresh IV every time', () => {
    const a = seal(key, Buffer.from('same'), context);
    const b = seal(key, Buffer.from('same'), context);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('seals empty plaintext', () => {
    expect(open(key, seal(key, Buffer.alloc(0), context), context)).toEqual({
      ok: true,
      plaintext: Buffer.alloc(0),
    });
  });

  it('detects a flipped bit anywhere, including the version byte', () => {
    const sealed = seal(key, Buffer.from('hello world'), context);
    for (let index = 0; index < sealed.length; index += 1) {
      const altered = Buffer.from(sealed);
      altered[index] = altered[index]! ^ 0x01;
      expect(open(key, altered, context).ok).toBe(false);
    }
  });

  it('names why it failed', () => {
    const sealed = seal(key, Buffer.from('x'), context);
    expect(open(key, sealed.subarray(0, 28), context)).toEqual({ ok: false, failure: 'too_short' });
    expect(open(key, Buffer.concat([Buffer.of(2), sealed.subarray(1)]), context)).toEqual({
      ok: false,
      failure: 'unsupported_version',
    });
    expect(open(randomBytes(32), sealed, context)).toEqual({ ok: false, failure: 'authentication_failed' });
    expect(open(key, sealed, Buffer.from('ledgerline/field:name'))).toEqual({
      ok: false,
      failure: 'authentication_failed',
    });
    expect(open(key, sealed.subarray(0, sealed.length - 1), context)).toEqual({
      ok: false,
      failure: 'authentication_failed',
    });
  });
});
