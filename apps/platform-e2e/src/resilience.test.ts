import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis, waitUntil, type PlatformApp } from '@ledgerline/processes';
import { assertLedgerSound, openFundedAccounts, totalBalance, waitForQuiet } from './harness/bank';
import { ApiClient, type ApiResponse } from './harness/client';
import { runOperatorCommand } from './harness/operator-command';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, Platform } from './harness/platform';

/**
 * The pipeline under stress and faults, with every app a real process: concurrent clients that
 * retry with the same Idempotency-Key, a ledger worker and a relay SIGKILLed mid-flight, and Redis
 * stopped while transfers are being accepted. Afterwards money is conserved and every accepted
 * transfer is final exactly once.
 */

let redis: PrivateRedis;
let platform: Platform;
let api: ApiClient;

beforeAll(async () => {
  // A Redis of this file's own, so stopping it disturbs no other test.
  redis = new PrivateRedis();
  await redis.start();
  platform = await Platform.start({ redis_url: redis.url });
  api = new ApiClient(platform.baseUrl);
  await api.login(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await redis?.destroy();
});

/** The error lines an app logged, to explain a failure. */
function errorLines(platform: Platform, app: PlatformApp): string {
  return platform
    .app(app)
    .outputLines.filter((line) => line.includes('"level":50'))
    .slice(-5)
    .join('\n');
}

function randomTransfer(accounts: string[]) {
  const source = accounts[Math.floor(Math.random() * accounts.length)]!;
  let destination = source;
  while (destination === source) destination = accounts[Math.floor(Math.random() * accounts.length)]!;
  const cents = 1 + Math.floor(Math.random() * 5_000);
  return {
    source_account_id: source,
    destination_account_id: destination,
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    currency: 'USD',
  };
}

/**
 * Sends `count` transfers at once; a third of them are sent twice with the same key, racing each
 * other. A client that saw no 202 (409: its first attempt still in flight; 503: overloaded) retries
 * with the same key until it gets the stored answer. Returns the transfer id each logical request ended with.
 */
async function sendWithRetries(
  accounts: string[],
  count: number,
): Promise<{ accepted: Set<string>; responses: ApiResponse[] }> {
  const accepted = new Set<string>();
  const responses: ApiResponse[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const key = randomUUID();
      const body = randomTransfer(accounts);
      const copies = index % 3 === 0 ? 2 : 1;
      const results = await Promise.all(
        Array.from({ length: copies }, () => api.move('/v1/transfers', body, key)),
      );
      responses.push(...results);
      let ids = results
        .filter((response) => response.status === 202)
        .map((response) => String(response.body['id']));
      for (let retry = 0; ids.length === 0 && retry < 100; retry += 1) {
        await sleep(50);
        const again = await api.move('/v1/transfers', body, key);
        responses.push(again);
        if (again.status === 202) ids = [String(again.body['id'])];
      }
      expect(new Set(ids).size, 'every answer for one key names the same transfer').toBe(1);
      accepted.add(ids[0]!);
    }),
  );
  return { accepted, responses };
}

describe('the pipeline under concurrency and faults', () => {
  it('300 concurrent transfers among a few accounts, a third retried with the same key: conserved, exactly once', async () => {
    const accounts = await openFundedAccounts(api, 4, '500.00');
    const before = await totalBalance(api, accounts);

    const { accepted, responses } = await sendWithRetries(accounts, 300);
    // 409: the same key is still in flight; 503: overloaded, nothing changed. Both mean "retry".
    const unexpected = responses.find((response) => ![202, 409, 503].includes(response.status));
    expect(unexpected, `${unexpected?.text}\n${errorLines(platform, 'transactions-api')}`).toBeUndefined();
    // Retries with the same key never create a second transfer.
    const { rows } = await platform.database.pool.query(
      `SELECT count(*)::int AS n FROM transfers WHERE kind = 'transfer'`,
    );
    expect(accepted.size).toBe(300);
    expect(rows[0].n).toBe(300);

    await waitForQuiet(platform);
    expect((await totalBalance(api, accounts)).toFixed(2)).toBe(before.toFixed(2));
    await assertLedgerSound(platform);
  }, 180_000);

  it('a ledger worker SIGKILLed mid-batch and restarted loses and doubles nothing', async () => {
    const accounts = await openFundedAccounts(api, 4, '1000.00');
    const before = await totalBalance(api, accounts);
    const postedCount = async () => {
      const { rows } = await platform.database.pool.query(
        `SELECT count(*)::int AS n FROM transfers WHERE status = 'posted'`,
      );
      return rows[0].n as number;
    };
    const postedBefore = await postedCount();
    const sending = sendWithRetries(accounts, 200);
    // Kill the worker once postings are flowing, while most of the 200 are still on their way.
    await waitUntil(async () => (await postedCount()) >= postedBefore + 10, {
      timeout_ms: 60_000,
      interval_ms: 10,
      what: 'postings to flow',
    });
    await platform.app('ledger-worker').kill();
    const { accepted } = await sending;
    await sleep(500);
    platform.app('ledger-worker').start();

    // The killed worker's jobs run again once their locks run out (15 s) and two stalled looks (5 s
    // apart) hand them back: well within a minute, where BullMQ's 30 s defaults took one to two.
    await waitForQuiet(platform, 60_000);
    expect(accepted.size).toBe(200);
    expect((await totalBalance(api, accounts)).toFixed(2)).toBe(before.toFixed(2));
    await assertLedgerSound(platform);
  }, 180_000);

  it('a relay SIGKILLed between publishing and marking re-publishes harmlessly', async () => {
    const accounts = await openFundedAccounts(api, 3, '300.00');
    const before = await totalBalance(api, accounts);
    const sending = sendWithRetries(accounts, 100);
    await sleep(200);
    await platform.app('outbox-relay').kill();
    await sending;
    platform.app('outbox-relay').start();
    await waitForQuiet(platform);
    expect((await totalBalance(api, accounts)).toFixed(2)).toBe(before.toFixed(2));
    await assertLedgerSound(platform);
  }, 180_000);

  it('accepts transfers while Redis is down and processes them once it is back', async () => {
    const accounts = await openFundedAccounts(api, 2, '100.00');
    await redis.stop();
    const accepted: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      const response = await api.move('/v1/transfers', {
        source_account_id: accounts[0],
        destination_account_id: accounts[1],
        amount: '1.00',
        currency: 'USD',
      });
      expect(response.status, response.text).toBe(202);
      accepted.push(String(response.body['id']));
    }
    const { rows: waiting } = await platform.database.pool.query(
      `SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'received'`,
      [accepted],
    );
    expect(waiting[0].n).toBe(10);

    await redis.start();
    await waitForQuiet(platform);
    const { rows } = await platform.database.pool.query(
      `SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'posted'`,
      [accepted],
    );
    expect(rows[0].n).toBe(10);
    const source = await api.get(`/v1/accounts/${accounts[0]}/balance`);
    expect(source.body['posted']).toBe('90.00');
    await assertLedgerSound(platform);
  }, 180_000);

  it('the invariant command reports clean after the storm', async () => {
    await waitForQuiet(platform);
    const result = runOperatorCommand(platform, 'ledger-check.ts');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ledger-check ok .*violations=0/m);
  }, 90_000);
});
