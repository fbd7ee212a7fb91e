import type { Figure, ScenarioRecord } from './figures';
import type { Recheck } from './references';

/** A drift beyond this is called out in the log and the table: the scenario's ratios are less sure. */
export const NOTABLE_DRIFT = 0.15;

/**
 * Renders the run as a plain-text table, the references measured again around scenarios, the skipped
 * scenarios with their reasons and the targets missed.
 */
export function renderTable(
  figures: readonly Figure[],
  scenarios: readonly ScenarioRecord[],
  rechecks: readonly Recheck[] = [],
): string {
  const header = ['scenario', 'figure', 'value', 'vs reference', 'ratio', 'target', 'result'];
  const rows = figures.map((figure) => [
    figure.scenario,
    figure.label,
    `${formatNumber(figure.value)} ${figure.unit}`,
    figure.reference === undefined ? '' : `${figure.reference}${figure.reference_values ? ' (mean)' : ''}`,
    figure.ratio === undefined ? '' : `${formatNumber(figure.ratio)} x`,
    figure.target?.description ?? '',
    figure.target === undefined ? '' : figure.met === undefined ? 'n/a' : figure.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  if (figures.some((figure) => figure.reference_values !== undefined))
    out.push('(mean): the ratio is against the mean of its reference measured just before and just after it');
  if (rechecks.length > 0) {
    out.push('references measured again around each scenario:');
    for (const recheck of rechecks)
      out.push(
        `  ${recheck.scenario}: ${recheck.reference} ${formatNumber(recheck.before)} before, ${formatNumber(recheck.after)} after (${describeDrift(recheck.drift)})`,
      );
  }
  for (const scenario of scenarios) {
    if (scenario.status !== 'done')
      out.push(`${scenario.name}: ${scenario.status}: ${scenario.reason ?? ''}`);
  }
  const missed = figures.filter((figure) => figure.met === false);
  out.push(
    missed.length === 0 ? 'targets: none missed' : `targets missed: ${missed.map(describeMiss).join('; ')}`,
  );
  return out.join('\n');
}

function describeMiss(figure: Figure): string {
  const judged =
    figure.target?.on === 'ratio'
      ? `${formatNumber(figure.ratio ?? Number.NaN)} x`
      : `${formatNumber(figure.value)} ${figure.unit}`;
  return `${figure.label} (${judged}, wants ${figure.target?.description})`;
}

/** `+12%`, with a warning past NOTABLE_DRIFT. */
export function describeDrift(drift: number): string {
  const percent = `${drift >= 0 ? '+' : ''}${(drift * 100).toFixed(0)}%`;
  return Math.abs(drift) > NOTABLE_DRIFT
    ? `${percent}: the machine drifted, these ratios are less sure`
    : percent;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
