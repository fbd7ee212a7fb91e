import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, waitUntil } from './index';

describe('process helpers', () => {
  it('finds a port that can then be listened on', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });

  it('waits until the probe yields, treating errors as not yet', async () => {
    let calls = 0;
    const value = await waitUntil(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('not listening yet');
        return calls >= 3 ? 'ready' : undefined;
      },
      { timeout_ms: 2_000, interval_ms: 1, what: 'the probe' },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('gives up after the timeout and names what it waited for', async () => {
    await expect(
      waitUntil(async () => false, { timeout_ms: 30, interval_ms: 5, what: 'a miracle' }),
    ).rejects.toThrowError('timed out after 30 ms waiting for a miracle');
  });
});
