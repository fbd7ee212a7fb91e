import { describe, expect, it } from 'vitest';
import { settingsFor, withEndToEndTransfers } from './settings';

describe('withEndToEndTransfers', () => {
  it('leaves the settings as they are without the option', () => {
    const quick = settingsFor('quick');
    expect(withEndToEndTransfers(quick, undefined)).toBe(quick);
  });

  it('sets the uniform run size and gives it time at 200 accepts a second at least', () => {
    const quick = settingsFor('quick');
    const settings = withEndToEndTransfers(quick, '10000');
    expect(settings.end_to_end).toEqual({ ...quick.end_to_end, transfers: 10_000, deadline_s: 50 });
    expect(settings.accept).toEqual(quick.accept);
    // A small run keeps the profile's deadline.
    expect(withEndToEndTransfers(quick, '500').end_to_end.deadline_s).toBe(quick.end_to_end.deadline_s);
  });

  it.each(['ten', '99', '1.5', '-2000', ''])('refuses %j', (option) => {
    expect(() => withEndToEndTransfers(settingsFor('quick'), option)).toThrowError(/--e2e-transfers/);
  });
});
