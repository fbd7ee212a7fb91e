/**
 * Every figure of a run, each with the reference it is compared against (measured in the same run) and,
 * where the issue sets one, a target on the ratio or on the value.
 */
export interface Target {
  /** What the issue asks, in words, e.g. ">= 3 x pgbench TPC-B tps". */
  description: string;
  on: 'ratio' | 'value';
  op: '>=' | '<=';
  threshold: number;
}

export interface FigureInput {
  key: string;
  scenario: string;
  label: string;
  value: number;
  unit: string;
  /** Key of an earlier figure of this run; the ratio is value / that figure's value. */
  reference?: string;
  target?: Target;
  note?: string;
}

export interface Figure extends FigureInput {
  ratio?: number;
  /** undefined when the target cannot be judged (no target, or its reference was skipped). */
  met?: boolean;
  /**
   * The reference measured just before and just after this figure's scenario, when it was measured
   * again (bench/lib/references.ts); the ratio is then taken against their mean.
   */
  reference_values?: [before: number, after: number];
}

export interface ScenarioRecord {
  name: string;
  title: string;
  status: 'done' | 'skipped' | 'failed';
  reason?: string;
  duration_ms: number;
  details: Record<string, unknown>;
}

/** Thrown by a scenario whose prerequisites are missing: the run goes on and reports "skipped: why". */
export class ScenarioSkipped extends Error {
  override readonly name = 'ScenarioSkipped';
}

export class FigureBook {
  readonly figures: Figure[] = [];

  add(input: FigureInput): Figure {
    const reference = input.reference === undefined ? undefined : this.get(input.reference);
    const figure = judged({ ...input }, reference?.value);
    this.figures.push(figure);
    return figure;
  }

  /**
   * Takes the ratios of `scenario`'s figures against `reference` again, now against the mean of the
   * reference measured just before and just after the scenario, and judges their targets again.
   */
  rebase(scenario: string, reference: string, values: [before: number, after: number]): void {
    const mean = (values[0] + values[1]) / 2;
    for (const [index, figure] of this.figures.entries()) {
      if (figure.scenario !== scenario || figure.reference !== reference) continue;
      const { ratio: _ratio, met: _met, ...input } = figure;
      this.figures[index] = judged({ ...input, reference_values: values }, mean);
    }
  }

  get(key: string): Figure | undefined {
    return this.figures.find((figure) => figure.key === key);
  }
}

/** The figure with its ratio against `reference_value` (when there is one) and its target judged. */
function judged(figure: Figure, reference_value: number | undefined): Figure {
  const ratio =
    reference_value !== undefined && Number.isFinite(figure.value) && reference_value > 0
      ? figure.value / reference_value
      : undefined;
  const result: Figure = { ...figure, ...(ratio === undefined ? {} : { ratio }) };
  const { target } = figure;
  if (target) {
    const value = target.on === 'ratio' ? ratio : Number.isFinite(figure.value) ? figure.value : undefined;
    if (value !== undefined)
      result.met = target.op === '>=' ? value >= target.threshold : value <= target.threshold;
  }
  return result;
}
