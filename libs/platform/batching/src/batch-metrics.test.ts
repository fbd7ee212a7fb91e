import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createBatchMetrics } from './batch-metrics';
import { createMicroBatcher } from './micro-batcher';

describe('batch metrics', () => {
  it("shows each batcher's batch sizes and durations by outcome on the registry", async () => {
    const registry = new Registry();
    const metricsFor = createBatchMetrics(registry);
    const batcher = createMicroBatcher({
      run: async (keys) => keys,
      batch_size_max: 10,
      linger_ms: 5,
      on_batch: metricsFor('ledger'),
    });
    await Promise.all(['a', 'b', 'c'].map((key) => batcher.submit(key)));
    await batcher.submit('d');
    await batcher.close();
    metricsFor('screening')({ keys: 7, outcome: 'failed', duration_s: 0.2 });

    const text = await registry.metrics();
    expect(text).toMatch(/^ledgerline_batch_keys_count\{batcher="ledger"\} 2$/m);
    expect(text).toMatch(/^ledgerline_batch_keys_sum\{batcher="ledger"\} 4$/m);
    expect(text).toMatch(/^ledgerline_batch_keys_bucket\{le="2",batcher="ledger"\} 1$/m);
    expect(text).toMatch(/^ledgerline_batch_duration_seconds_count\{batcher="ledger",outcome="ok"\} 2$/m);
    expect(text).toMatch(
      /^ledgerline_batch_duration_seconds_count\{batcher="screening",outcome="failed"\} 1$/m,
    );
  });
});
