import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import {
  createTestDatabase,
  testServices,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@ledgerline/db/testing';
import type { QueueName } from '../jobs/jobs';
import { deleteQueueKeys } from './queue-keys';

/** What a worker's test file runs against: its own database, Redis key prefix and queues. */
export interface QueueTestbed {
  readonly redis_url: string;
  /** The BullMQ prefix of this file; nothing else uses it. */
  readonly prefix: string;
  /** Set once `beforeAll` has run. */
  database: TestDatabase;
  /** A plain connection for the test's own Redis commands and queues; set once `beforeAll` has run. */
  redis: Redis;
  /** The named queue under this file's prefix, opened on first use and closed after the tests. */
  queue(name: QueueName): Queue;
}

/**
 * Sets up a {@link QueueTestbed} in `beforeAll` and removes all of it in `afterAll`: queues closed,
 * Redis keys under the prefix deleted, database dropped. Call it at the top of a test file, before the
 * file's own hooks: Vitest runs `afterAll` hooks in reverse order, so the file's own (closing the
 * worker under test) run before the testbed goes away.
 */
export function useQueueTestbed(): QueueTestbed {
  const queues = new Map<QueueName, Queue>();
  const testbed = {
    redis_url: testServices().redis_url,
    prefix: uniqueQueuePrefix(),
    queue(name: QueueName): Queue {
      let queue = queues.get(name);
      if (queue === undefined) {
        queue = new Queue(name, { connection: testbed.redis, prefix: testbed.prefix });
        queues.set(name, queue);
      }
      return queue;
    },
  } as QueueTestbed;
  beforeAll(async () => {
    testbed.database = await createTestDatabase();
    testbed.redis = new Redis(testbed.redis_url, { maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    await testbed.redis?.quit();
    await deleteQueueKeys(testbed.redis_url, testbed.prefix);
    await testbed.database?.drop();
  });
  return testbed;
}
