import { describe, expect, it } from 'vitest';
import { DERIVATIONS_AT_ONCE, derivationsInFlight, hashSecret, verifySecret } from './secret-hash';

describe('secret hashing', { timeout: 60_000 }, () => {
  it('runs at most two 32 MiB scrypt derivations at once, however many logins arrive together', async () => {
    const secret = 'correct horse battery staple';
    const stored = await hashSecret(secret);
    let most_running = 0;
    const sampler = setInterval(() => {
      most_running = Math.max(most_running, derivationsInFlight().running);
    }, 1);
    try {
      const burst = Array.from({ length: 8 }, (_, index) =>
        verifySecret(index % 2 === 0 ? secret : `${secret}!`, stored),
      );
      expect(derivationsInFlight()).toEqual({
        running: DERIVATIONS_AT_ONCE,
        waiting: 8 - DERIVATIONS_AT_ONCE,
      });
      // Every login still gets its own, right answer.
      expect(await Promise.all(burst)).toEqual([true, false, true, false, true, false, true, false]);
    } finally {
      clearInterval(sampler);
    }
    expect(DERIVATIONS_AT_ONCE).toBe(2);
    expect(most_running).toBeLessThanOrEqual(2);
    expect(derivationsInFlight()).toEqual({ running: 0, waiting: 0 });
  });

  it('never matches a malformed or corrupted hash', async () => {
    await expect(verifySecret('x', 'not-a-hash')).resolves.toBe(false);
    await expect(verifySecret('x', 'scrypt$ln=99,r=8,p=1$AAAA$AAAA')).resolves.toBe(false);
  });
});
