import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { testServices } from '@ledgerline/db/testing';
import { freePort } from '@ledgerline/processes';
import { createProducerConnection, createQueueConnections, waitForReady } from './connection';

const logger = pino({ level: 'silent' });

describe('waitForReady', () => {
  it('resolves true once a new connection has opened, so its first command is not refused', async () => {
    const connection = createProducerConnection({
      url: testServices().redis_url,
      connection_name: 'test-wait',
      logger,
    });
    try {
      expect(connection.status).not.toBe('ready');
      expect(await waitForReady(connection, 5_000)).toBe(true);
      expect(await connection.ping()).toBe('PONG');
      expect(await waitForReady(connection, 5_000)).toBe(true);
    } finally {
      await connection.quit();
    }
  });

  it('gives up at the first error of a connection that cannot open, long before its timeout', async () => {
    const connection = createProducerConnection({
      url: `redis://127.0.0.1:${await freePort()}`,
      connection_name: 'test-wait-refused',
      logger,
    });
    try {
      const started_at = Date.now();
      expect(await waitForReady(connection, 30_000)).toBe(false);
      expect(Date.now() - started_at).toBeLessThan(10_000);
    } finally {
      connection.disconnect();
    }
  });
});

describe('createQueueConnections', () => {
  it('opens a producer and a worker connection that CLIENT LIST tells apart, and quits both', async () => {
    const connections = createQueueConnections({
      url: testServices().redis_url,
      connection_name: 'test-pair',
      logger,
    });
    expect(await waitForReady(connections.producer, 5_000)).toBe(true);
    expect(await waitForReady(connections.worker, 5_000)).toBe(true);
    const clients = String(await connections.producer.client('LIST'));
    expect(clients).toContain('name=test-pair-producer ');
    expect(clients).toContain('name=test-pair ');
    // The producer refuses at once while cut off; the worker queues its commands and waits.
    expect(connections.producer.options.enableOfflineQueue).toBe(false);
    expect(connections.worker.options.maxRetriesPerRequest).toBeNull();

    await connections.quit();
    // QUIT is answered just before the socket closes.
    await vi.waitFor(() => {
      expect(connections.producer.status).toBe('end');
      expect(connections.worker.status).toBe('end');
    });
    // A second quit (a shutdown that runs twice) neither throws nor hangs.
    await connections.quit();
  });
});
