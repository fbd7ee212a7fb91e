import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { jobs } from '@ledgerline/queue';
import { failJobs } from '@ledgerline/queue/testing';
import { call, scrape, useOpsTestApp, type OpsTestContext } from '../test-support';

const context = useOpsTestApp();

/** A customer with two accounts, as the accounts service leaves them (the ciphertexts are never read here). */
async function twoAccounts(context: OpsTestContext): Promise<[string, string]> {
  const customer = uuidv7();
  await context.database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $2, 'k', 'GB')`,
    [customer, randomBytes(16)],
  );
  const accounts: [string, string] = [uuidv7(), uuidv7()];
  for (const id of accounts) {
    await context.database.pool.query(
      `INSERT INTO accounts (id, customer_id, currency) VALUES ($1, $2, 'USD')`,
      [id, customer],
    );
  }
  return accounts;
}

async function transfer(
  context: OpsTestContext,
  accounts: [string, string],
  status: string,
  unchanged_for_seconds: number,
): Promise<void> {
  await context.database.pool.query(
    `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id, updated_at, posted_at)
     VALUES ($1, 'transfer', $2, $3, 10.00, 'USD', $4::transfer_status, 'bank-1', now() - make_interval(secs => $5),
             CASE WHEN $4 = 'posted' THEN now() END)`,
    [uuidv7(), accounts[0], accounts[1], status, unchanged_for_seconds],
  );
}

async function outboxRow(
  context: OpsTestContext,
  due_seconds_ago: number,
  published: boolean,
): Promise<void> {
  await context.database.pool.query(
    `INSERT INTO outbox_messages (queue, job_name, job_id, payload, available_at, published_at)
     VALUES ('ledger', 'advance', $1, '{}', now() - make_interval(secs => $2), CASE WHEN $3 THEN now() END)`,
    [`advance-${uuidv7()}`, due_seconds_ago, published],
  );
}

describe('the platform backlog on the ops API /metrics', () => {
  it('reports the queues, the transfers that wait in each status, and the outbox rows due, as they are', async () => {
    const accounts = await twoAccounts(context);
    await transfer(context, accounts, 'received', 1);
    await transfer(context, accounts, 'received', 90);
    await transfer(context, accounts, 'held', 600);
    await transfer(context, accounts, 'approved', 2);
    await transfer(context, accounts, 'posted', 3_600);
    await outboxRow(context, 45, false);
    await outboxRow(context, 5, false);
    await outboxRow(context, -60, false); // not due for another minute
    await outboxRow(context, 120, true);
    await context.producer.add(jobs.advanceTransfer(uuidv7(), 'req-metrics'));
    await context.producer.add(jobs.advanceTransfer(uuidv7(), 'req-metrics'));
    await failJobs({
      redis_url: context.redis_url,
      prefix: context.prefix,
      specs: [jobs.screenTransfer(uuidv7(), 'req-metrics')],
    });
    expect((await call(context, 'POST', '/v1/ops/queues/reports/pause', 'operator')).statusCode).toBe(200);

    const samples = await scrape(context);

    expect(samples.get('ledgerline_pipeline_source_up{source="redis"}')).toBe(1);
    expect(samples.get('ledgerline_pipeline_source_up{source="database"}')).toBe(1);
    expect(samples.get('ledgerline_queue_jobs{queue="ledger",state="waiting"}')).toBe(2);
    expect(samples.get('ledgerline_queue_jobs{queue="screening",state="failed"}')).toBe(1);
    expect(samples.get('ledgerline_queue_jobs{queue="screening",state="waiting"}')).toBe(0);
    expect(samples.get('ledgerline_queue_paused{queue="reports"}')).toBe(1);
    expect(samples.get('ledgerline_queue_paused{queue="ledger"}')).toBe(0);
    expect(samples.get('ledgerline_queue_oldest_waiting_seconds{queue="ledger"}')).toBeGreaterThanOrEqual(0);
    expect(samples.get('ledgerline_queue_oldest_waiting_seconds{queue="screening"}')).toBe(0);

    expect(samples.get('ledgerline_transfers_waiting{status="received"}')).toBe(2);
    expect(samples.get('ledgerline_transfers_waiting{status="held"}')).toBe(1);
    expect(samples.get('ledgerline_transfers_waiting{status="approved"}')).toBe(1);
    // Every waiting status has a sample, so an alert on it never sees an absent series.
    expect(samples.get('ledgerline_transfers_waiting{status="screening"}')).toBe(0);
    expect(samples.get('ledgerline_transfers_waiting{status="pending"}')).toBe(0);
    expect([...samples.keys()].some((key) => key.includes('status="posted"'))).toBe(false);
    expect(
      samples.get('ledgerline_transfers_oldest_unchanged_seconds{status="received"}'),
    ).toBeGreaterThanOrEqual(90);
    expect(samples.get('ledgerline_transfers_oldest_unchanged_seconds{status="received"}')).toBeLessThan(150);
    expect(
      samples.get('ledgerline_transfers_oldest_unchanged_seconds{status="held"}'),
    ).toBeGreaterThanOrEqual(600);
    expect(samples.get('ledgerline_transfers_oldest_unchanged_seconds{status="screening"}')).toBe(0);

    expect(samples.get('ledgerline_outbox_due_messages')).toBe(2);
    expect(samples.get('ledgerline_outbox_oldest_due_seconds')).toBeGreaterThanOrEqual(45);
    expect(samples.get('ledgerline_outbox_oldest_due_seconds')).toBeLessThan(105);
  });
});
