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
    const ratio =
      reference && Number.isFinite(input.value) && reference.value > 0
        ? input.value / reference.value
        : undefined;
    const figure: Figure = { ...input, ...(ratio === undefined ? {} : { ratio }) };
    if (input.target) {
      const judged =
        input.target.on === 'ratio' ? ratio : Number.isFinite(input.value) ? input.value : undefined;
      if (judged !== undefined)
        figure.met =
          input.target.op === '>=' ? judged >= input.target.threshold : judged <= input.target.threshold;
    }
    this.figures.push(figure);
    return figure;
  }

  get(key: string): Figure | undefined {
    return this.figures.find((figure) => figure.key === key);
  }
}
