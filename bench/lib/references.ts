import type { FigureBook } from './figures';
import { describeDrift, formatNumber } from './report';

/** Measures a reference once more, briefly; resolves to the same figure as the reference's own. */
export type Remeasure = () => Promise<number>;

/** A reference measured again after a scenario: what the scenario's ratios are now taken against. */
export interface Recheck {
  reference: string;
  scenario: string;
  before: number;
  after: number;
  /** after / before - 1: how far the machine drifted during the scenario, as this reference sees it. */
  drift: number;
}

/**
 * The throughput references (pgbench tps, Fastify req/s), measured again after each scenario that
 * compares against them, so that every ratio is taken against the reference measured just before and
 * just after its own scenario (their mean) rather than against one measurement at the start of a run
 * that lasts twenty minutes. On a shared virtual machine the speed drifts by tens of percent between
 * phases, and not always in the same way for Postgres as for Node: one measurement at the start turned
 * a run's ratios by as much as the code changes they were meant to show.
 */
export class References {
  readonly rechecks: Recheck[] = [];
  private readonly remeasures = new Map<string, Remeasure>();
  private readonly latest = new Map<string, number>();

  /** Called by a reference scenario with its figure's key, its value and how to measure it again. */
  register(reference: string, value: number, remeasure: Remeasure): void {
    this.remeasures.set(reference, remeasure);
    this.latest.set(reference, value);
  }

  /**
   * After `scenario`: measures again each registered reference that its figures compare against, adds
   * that measurement as a figure, and rebases the scenario's ratios on the mean of the measurement
   * before the scenario (the latest one) and this one.
   */
  async recheck(scenario: string, figures: FigureBook, log: (message: string) => void): Promise<void> {
    const used = new Set(
      figures.figures
        .filter((figure) => figure.scenario === scenario && figure.reference !== undefined)
        .map((figure) => figure.reference as string),
    );
    for (const [reference, remeasure] of this.remeasures) {
      const before = this.latest.get(reference);
      if (!used.has(reference) || before === undefined) continue;
      const after = await remeasure();
      const measured = Number.isFinite(after) && after > 0;
      if (measured) figures.rebase(scenario, reference, [before, after]);
      // Added after the rebase: its own ratio stays against the run's first measurement (the drift so far).
      const base = figures.get(reference);
      figures.add({
        key: `${reference}.after.${scenario}`,
        scenario,
        label: `${base?.label ?? reference}, again after ${scenario}`,
        value: after,
        unit: base?.unit ?? '',
        reference,
      });
      if (!measured) {
        log(
          `${scenario}: ${reference} measured again gave no figure; ratios stay against ${formatNumber(before)}`,
        );
        continue;
      }
      this.latest.set(reference, after);
      const recheck: Recheck = { reference, scenario, before, after, drift: after / before - 1 };
      this.rechecks.push(recheck);
      log(
        `${scenario}: ${reference} ${formatNumber(before)} before, ${formatNumber(after)} after (${describeDrift(recheck.drift)})`,
      );
    }
  }
}
