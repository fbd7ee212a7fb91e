import { describe, expect, it } from 'vitest';
import { FigureBook } from './figures';
import { References } from './references';
import { renderTable } from './report';

/** An engine figure of 2,900 postings/s against pgbench, with the 3 x target. */
const ENGINE_FIGURE = {
  key: 'engine.uniform',
  scenario: 'ledger-engine',
  label: 'engine postings/s',
  value: 2_900,
  unit: 'postings/s',
  reference: 'pgbench.tps',
  target: { description: '>= 3 x pgbench tps', on: 'ratio', op: '>=', threshold: 3 },
} as const;

/** A run's book with pgbench measured at `tps`, registered to measure `again` next time(s). */
function runWithPgbench(tps: number, again: number[]) {
  const figures = new FigureBook();
  const references = new References();
  const calls: number[] = [];
  figures.add({
    key: 'pgbench.tps',
    scenario: 'reference-pgbench',
    label: 'pgbench TPC-B',
    value: tps,
    unit: 'tps',
  });
  references.register('pgbench.tps', tps, async () => {
    const next = again[calls.length] ?? Number.NaN;
    calls.push(next);
    return next;
  });
  const log: string[] = [];
  return { figures, references, calls, log, logger: (message: string) => log.push(message) };
}

describe('References.recheck', () => {
  it("takes a scenario's ratios against the mean of the reference before and after it, and judges them again", async () => {
    const run = runWithPgbench(1_000, [900]);
    run.figures.add(ENGINE_FIGURE);
    expect(run.figures.get('engine.uniform')).toMatchObject({ ratio: 2.9, met: false });

    await run.references.recheck('ledger-engine', run.figures, run.logger);

    const engine = run.figures.get('engine.uniform');
    expect(engine?.ratio).toBeCloseTo(2_900 / 950, 10);
    expect(engine).toMatchObject({ met: true, reference_values: [1_000, 900] });
    // The new measurement is a figure of the scenario, its ratio against the run's first measurement.
    expect(run.figures.get('pgbench.tps.after.ledger-engine')).toMatchObject({
      value: 900,
      ratio: 0.9,
      label: 'pgbench TPC-B, again after ledger-engine',
    });
    expect(run.references.rechecks).toEqual([
      {
        reference: 'pgbench.tps',
        scenario: 'ledger-engine',
        before: 1_000,
        after: 900,
        drift: expect.closeTo(-0.1, 10),
      },
    ]);
  });

  it("measures only the references the scenario's figures compare against, and rebases only those figures", async () => {
    const run = runWithPgbench(1_000, [1_000]);
    run.figures.add({
      key: 'rss',
      scenario: 'memory',
      label: 'peak RSS',
      value: 90,
      unit: 'MB',
      reference: 'fastify.rss',
    });
    await run.references.recheck('memory', run.figures, run.logger);
    expect(run.calls).toEqual([]);
    expect(run.figures.get('rss')?.reference_values).toBeUndefined();

    run.figures.add({
      key: 'e2e.rate',
      scenario: 'end-to-end',
      label: 'posted/s',
      value: 500,
      unit: '/s',
      reference: 'pgbench.tps',
    });
    run.figures.add({
      key: 'e2e.p99',
      scenario: 'end-to-end',
      label: 'p99',
      value: 40,
      unit: 'ms',
      reference: 'pgbench.latency',
    });
    await run.references.recheck('end-to-end', run.figures, run.logger);
    expect(run.calls).toHaveLength(1);
    expect(run.figures.get('e2e.rate')?.reference_values).toEqual([1_000, 1_000]);
    expect(run.figures.get('e2e.p99')?.reference_values).toBeUndefined();
  });

  it("starts each scenario's bracket from the previous scenario's measurement", async () => {
    const run = runWithPgbench(1_000, [800, 600]);
    for (const scenario of ['ledger-engine', 'end-to-end'])
      run.figures.add({
        key: scenario,
        scenario,
        label: scenario,
        value: 700,
        unit: '/s',
        reference: 'pgbench.tps',
      });
    await run.references.recheck('ledger-engine', run.figures, run.logger);
    await run.references.recheck('end-to-end', run.figures, run.logger);
    expect(run.figures.get('ledger-engine')?.reference_values).toEqual([1_000, 800]);
    expect(run.figures.get('end-to-end')?.reference_values).toEqual([800, 600]);
    expect(run.figures.get('end-to-end')?.ratio).toBeCloseTo(1, 10);
  });

  it('leaves the ratios as they were when the second measurement gives no figure', async () => {
    const run = runWithPgbench(1_000, [Number.NaN]);
    run.figures.add(ENGINE_FIGURE);
    await run.references.recheck('ledger-engine', run.figures, run.logger);
    expect(run.figures.get('engine.uniform')).toMatchObject({ ratio: 2.9, met: false });
    expect(run.figures.get('engine.uniform')?.reference_values).toBeUndefined();
    expect(run.references.rechecks).toEqual([]);
    expect(run.log.join('\n')).toContain('ratios stay against 1,000');
  });
});

describe('renderTable with rechecked references', () => {
  it('marks ratios taken against the mean and warns where the machine drifted', async () => {
    const run = runWithPgbench(1_000, [700]);
    run.figures.add({
      key: 'e2e.rate',
      scenario: 'end-to-end',
      label: 'posted/s',
      value: 850,
      unit: '/s',
      reference: 'pgbench.tps',
    });
    await run.references.recheck('end-to-end', run.figures, run.logger);
    const table = renderTable(run.figures.figures, [], run.references.rechecks);
    expect(table).toMatch(/posted\/s\s+850 \/s\s+pgbench\.tps \(mean\)\s+1\.00 x/);
    expect(table).toContain(
      'end-to-end: pgbench.tps 1,000 before, 700 after (-30%: the machine drifted, these ratios are less sure)',
    );
  });
});
