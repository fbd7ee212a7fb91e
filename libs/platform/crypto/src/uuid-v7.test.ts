import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { createUuidV7Source, newUuidV7 } from './uuid-v7';

/** The 48-bit millisecond timestamp at the front of a UUIDv7. */
function timestampOf(id: string): number {
  return Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
}

describe('row ids', () => {
  it('are valid UUIDv7 with the RFC 9562 variant and the current time in front', () => {
    const before = Date.now();
    const id = newUuidV7();
    const after = Date.now();
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(id)).toBeLessThanOrEqual(after);
  });

  it('increase strictly within one millisecond, across many pool refills', () => {
    const ids = createUuidV7Source(() => 1_764_000_000_000);
    const made = Array.from({ length: 5_000 }, () => ids.next());
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
    expect(made.every((id) => timestampOf(id) === 1_764_000_000_000)).toBe(true);
  });

  it('keep increasing when the clock steps back', () => {
    let now = 1_764_000_000_500;
    const ids = createUuidV7Source(() => now);
    const first = ids.next();
    now -= 400;
    const second = ids.next();
    expect(second > first).toBe(true);
    expect(timestampOf(second)).toBe(1_764_000_000_500);
  });

  it('differ in their random bits between sources that share a millisecond', () => {
    const clock = () => 1_764_000_000_000;
    const a = createUuidV7Source(clock).next();
    const b = createUuidV7Source(clock).next();
    expect(a).not.toBe(b);
  });

  it('are unique over many calls in real time', () => {
    const made = Array.from({ length: 100_000 }, () => newUuidV7());
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
  });
});
