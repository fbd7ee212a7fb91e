import type { Scenario } from '../lib/context';
import { ScenarioSkipped } from '../lib/figures';

const TARGET_MB = 200;

/**
 * Peak RSS (VmHWM) of every platform process over the whole run, read just before the platform stops.
 * Runs last, after the scenarios that loaded the platform; the reference is the bare Fastify process.
 */
export const memory: Scenario = {
  name: 'memory',
  title: 'Memory: peak RSS of each process',
  async run(context) {
    const platform = await context.platform();
    const peaks: Record<string, number> = {};
    for (const [app, process_] of platform.processes) {
      const sample = process_.memory();
      if (!sample) continue;
      peaks[app] = sample.peak_rss_bytes;
      context.figures.add({
        key: `memory.${app}`,
        scenario: this.name,
        label: `${app} peak RSS`,
        value: sample.peak_rss_bytes / 2 ** 20,
        unit: 'MB',
        reference: 'fastify.rss',
        target: { description: `< ${TARGET_MB} MB`, on: 'value', op: '<=', threshold: TARGET_MB },
      });
    }
    if (Object.keys(peaks).length === 0)
      throw new ScenarioSkipped('no process memory to read (needs Linux /proc)');
    return { peak_rss_bytes: peaks };
  },
};
