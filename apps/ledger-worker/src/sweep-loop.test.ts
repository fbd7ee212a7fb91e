import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@ledgerline/queue/testing';
import { createSweepLoop } from './sweep-loop';

describe('createSweepLoop', () => {
  it('logs and reports a failed sweep, then keeps sweeping', async () => {
    let sweeps = 0;
    let failures = 0;
    const loop = createSweepLoop({
      sweep: async () => {
        sweeps += 1;
        if (sweeps === 1) throw new Error('database unavailable');
        return sweeps;
      },
      interval_ms: 5,
      logger: pino({ level: 'silent' }),
      failure_message: 'sweep failed',
      on_failure: () => (failures += 1),
    });
    loop.start();
    await waitUntil(async () => sweeps >= 3, { what: 'sweeps after the failed one' });
    await loop.stop();
    expect(failures).toBe(1);
    const stopped_at = sweeps;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sweeps).toBe(stopped_at);
  });
});
