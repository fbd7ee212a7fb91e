import type { Registry } from 'prom-client';

/**
 * The value of one sample on `registry`, as a scrape would show it: `name` is the sample's name
 * (`..._count` of a histogram, say) and `labels` must match the sample's labels exactly. 0 when the
 * sample does not exist yet (a counter nobody incremented has none).
 */
export async function metricSample(
  registry: Registry,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values) {
      const sample_name =
        'metricName' in sample && sample.metricName !== undefined ? sample.metricName : metric.name;
      if (sample_name !== name) continue;
      const sample_labels = Object.entries(sample.labels).map(([key, value]) => [key, String(value)]);
      if (JSON.stringify(sample_labels.sort()) === wanted) return sample.value;
    }
  }
  return 0;
}

/** The samples of a Prometheus text exposition: `name{a="x",b="y"}` -> value. */
export function samplesOf(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const split = line.lastIndexOf(' ');
    // Default labels (service) are dropped so that keys read as the metric and its own labels.
    const key = line
      .slice(0, split)
      .replace(/,?service="[^"]*"/, '')
      .replace('{}', '')
      .replace('{,', '{');
    samples.set(key, Number(line.slice(split + 1)));
  }
  return samples;
}
