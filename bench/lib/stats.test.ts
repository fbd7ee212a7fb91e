import { describe, expect, it } from 'vitest';
import { medianBy } from './stats';

describe('medianBy', () => {
  const run = (repeat: number, postings_per_second: number) => ({ repeat, postings_per_second });
  const rate = (item: { postings_per_second: number }) => item.postings_per_second;

  it('picks the middle run, so one stalled run does not decide the figure', () => {
    expect(medianBy([run(1, 2_953), run(2, 6_401), run(3, 6_120)], rate)).toEqual(run(3, 6_120));
  });

  it('picks the lower middle run of an even count, a run that was measured', () => {
    expect(medianBy([run(1, 10), run(2, 40), run(3, 30), run(4, 20)], rate)).toEqual(run(4, 20));
  });

  it('is the run itself when there is one', () => {
    expect(medianBy([run(1, 5)], rate)).toEqual(run(1, 5));
  });

  it('refuses no runs', () => {
    expect(() => medianBy([], rate)).toThrow(RangeError);
  });
});
