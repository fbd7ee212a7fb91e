import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScreeningService } from '@ledgerline/screening';
import { startTestComplianceApp, type TestComplianceApp } from '../testing/test-app';

let context: TestComplianceApp;
let from: string;
let to: string;

beforeAll(async () => {
  context = await startTestComplianceApp();
  const customer_id = uuidv7();
  await context.database.pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'test', 'US')`,
    [customer_id, randomBytes(16), randomBytes(16)],
  );
  [from, to] = [uuidv7(), uuidv7()];
  await context.database.pool.query(
    `INSERT INTO accounts (id, customer_id, currency, posted_credits) VALUES ($1, $3, 'USD', 100000), ($2, $3, 'USD', 0)`,
    [from, to, customer_id],
  );
});
afterAll(() => context.close());

/** A large transfer, screened by the real rules: held, with its case. */
async function heldTransfer(): Promise<{ transfer_id: string; case_id: string }> {
  const transfer_id = uuidv7();
  await context.database.pool.query(
    `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, client_id)
     VALUES ($1, 'transfer', $2, $3, 12000, 'USD', 'bank')`,
    [transfer_id, from, to],
  );
  expect((await createScreeningService({ db: context.database.db }).screen(transfer_id)).outcome).toBe(
    'held',
  );
  const { rows } = await context.database.pool.query(
    'SELECT id::text FROM compliance_cases WHERE transfer_id = $1',
    [transfer_id],
  );
  return { transfer_id, case_id: rows[0].id };
}

async function transferStatus(transfer_id: string): Promise<string> {
  const { rows } = await context.database.pool.query('SELECT status::text FROM transfers WHERE id = $1', [
    transfer_id,
  ]);
  return rows[0].status;
}

describe('GET /v1/compliance/cases', () => {
  it('lists open cases with their hits for compliance officers and admins, in keyset pages', async () => {
    const held = [await heldTransfer(), await heldTransfer(), await heldTransfer()];
    for (const role of ['compliance', 'admin'] as const) {
      const first = await context.app.inject({
        method: 'GET',
        url: '/v1/compliance/cases?status=open&limit=2',
        headers: context.as(role),
      });
      expect(first.statusCode).toBe(200);
      const page = first.json();
      expect(page.data).toHaveLength(2);
      expect(page.data[0]).toEqual({
        id: held[0]?.case_id,
        transfer_id: held[0]?.transfer_id,
        batch_id: null,
        status: 'open',
        hits: [{ rule: 'large_amount', detail: 'amount 12000.00 USD is at least 10000' }],
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        decided_at: null,
        decided_by: null,
        note: null,
      });
      const rest = await context.app.inject({
        method: 'GET',
        url: `/v1/compliance/cases?status=open&limit=2&cursor=${page.next_cursor}`,
        headers: context.as(role),
      });
      expect(rest.json().data.map((item: { id: string }) => item.id)).toEqual([held[2]?.case_id]);
      expect(rest.json().next_cursor).toBeNull();
    }
  });

  it('refuses other roles with 403, anonymous callers with 401, and bad filters and cursors with 400', async () => {
    for (const role of ['customer', 'service', 'operator'] as const) {
      const response = await context.app.inject({
        method: 'GET',
        url: '/v1/compliance/cases',
        headers: context.as(role),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    expect((await context.app.inject({ method: 'GET', url: '/v1/compliance/cases' })).statusCode).toBe(401);
    for (const query of ['status=pending', 'limit=0', 'limit=201', 'cursor=not-ours', 'extra=1']) {
      const response = await context.app.inject({
        method: 'GET',
        url: `/v1/compliance/cases?${query}`,
        headers: context.as('compliance'),
      });
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: expect.any(Array) });
    }
  });
});

describe('POST /v1/compliance/cases/:id/decision', () => {
  it('approves: the case is decided by the caller and the transfer goes on', async () => {
    const { transfer_id, case_id } = await heldTransfer();
    const response = await context.app.inject({
      method: 'POST',
      url: `/v1/compliance/cases/${case_id}/decision`,
      headers: context.as('compliance'),
      payload: { decision: 'approve', note: 'Salary bonus, documented.' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: case_id,
      status: 'approved',
      decided_by: 'test-compliance',
      note: 'Salary bonus, documented.',
      decided_at: expect.any(String),
    });
    expect(await transferStatus(transfer_id)).toBe('approved');
    const { rows } = await context.database.pool.query(
      'SELECT request_id FROM outbox_messages WHERE job_id = $1',
      [`advance-${transfer_id}`],
    );
    expect(rows).toEqual([{ request_id: response.headers['x-request-id'] }]);
    // The decision is in the audit trail.
    const audit = await context.database.pool.query(
      `SELECT actor, role, outcome FROM audit_records WHERE request_id = $1`,
      [response.headers['x-request-id']],
    );
    expect(audit.rows).toEqual([{ actor: 'test-compliance', role: 'compliance', outcome: 200 }]);
  });

  it('rejects, then refuses a second decision with 409 invalid_state', async () => {
    const { transfer_id, case_id } = await heldTransfer();
    const decide = (decision: string) =>
      context.app.inject({
        method: 'POST',
        url: `/v1/compliance/cases/${case_id}/decision`,
        headers: context.as('admin'),
        payload: { decision, note: 'Counterparty could not be identified.' },
      });
    expect((await decide('reject')).json()).toMatchObject({ status: 'rejected', decided_by: 'test-admin' });
    const { rows } = await context.database.pool.query(
      'SELECT status::text, status_reason FROM transfers WHERE id = $1',
      [transfer_id],
    );
    expect(rows).toEqual([{ status: 'rejected', status_reason: 'compliance_rejected' }]);
    const again = await decide('approve');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'invalid_state', status: 409 });
    expect(await transferStatus(transfer_id)).toBe('rejected');
  });

  it('answers 404 for an unknown case and 400 for a bad body, changing nothing', async () => {
    const { transfer_id, case_id } = await heldTransfer();
    const unknown = await context.app.inject({
      method: 'POST',
      url: `/v1/compliance/cases/${uuidv7()}/decision`,
      headers: context.as('compliance'),
      payload: { decision: 'approve', note: 'x' },
    });
    expect(unknown.statusCode).toBe(404);
    for (const payload of [
      { decision: 'maybe', note: 'x' },
      { decision: 'approve' },
      { decision: 'approve', note: '' },
      { decision: 'approve', note: 'x'.repeat(2_001) },
      { decision: 'approve', note: 'x', status: 'approved' },
    ]) {
      const response = await context.app.inject({
        method: 'POST',
        url: `/v1/compliance/cases/${case_id}/decision`,
        headers: context.as('compliance'),
        payload,
      });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed' });
    }
    expect(await transferStatus(transfer_id)).toBe('held');
  });

  it('is not for operators, services or customers', async () => {
    const { transfer_id, case_id } = await heldTransfer();
    for (const role of ['operator', 'service', 'customer'] as const) {
      const response = await context.app.inject({
        method: 'POST',
        url: `/v1/compliance/cases/${case_id}/decision`,
        headers: context.as(role),
        payload: { decision: 'approve', note: 'x' },
      });
      expect(response.statusCode).toBe(403);
    }
    expect(await transferStatus(transfer_id)).toBe('held');
  });
});
