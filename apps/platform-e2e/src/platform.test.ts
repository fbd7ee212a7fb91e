import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './harness/client';
import { runOperatorCommand } from './harness/operator-command';
import { openFundedAccounts, waitForFinal } from './harness/bank';
import { waitUntil } from '@ledgerline/processes';
import { samplesOf } from '@ledgerline/queue/testing';
import { SDN_FIXTURE_CSV, SDN_FIXTURE_ROWS } from '@ledgerline/sanctions/testing';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, Platform } from './harness/platform';

/** The paths and methods of ../shared/api-contract.md that the platform serves today. */
const CONTRACT_OPERATIONS = [
  'POST /v1/auth/token',
  'POST /v1/clients',
  'POST /v1/customers',
  'GET /v1/customers/{id}',
  'POST /v1/accounts',
  'GET /v1/accounts',
  'GET /v1/accounts/{id}',
  'POST /v1/accounts/{id}/freeze',
  'POST /v1/accounts/{id}/unfreeze',
  'POST /v1/accounts/{id}/close',
  'GET /v1/accounts/{id}/balance',
  'GET /v1/accounts/{id}/entries',
  'POST /v1/transfers',
  'GET /v1/transfers',
  'GET /v1/transfers/{id}',
  'POST /v1/transfers/batch',
  'POST /v1/transfers/{id}/capture',
  'POST /v1/transfers/{id}/void',
  'POST /v1/transfers/{id}/reverse',
  'POST /v1/deposits',
  'POST /v1/withdrawals',
  'GET /v1/compliance/cases',
  'POST /v1/compliance/cases/{id}/decision',
  'POST /v1/compliance/sanctions-lists',
  'POST /v1/compliance/reports',
  'GET /v1/compliance/reports/{id}',
  'GET /v1/compliance/reports/{id}/download',
  'GET /v1/ops/queues',
  'POST /v1/ops/queues/{name}/pause',
  'POST /v1/ops/queues/{name}/resume',
  'POST /v1/ops/queues/{name}/retry-failed',
  'POST /v1/ops/queues/{name}/jobs/{id}/retry',
];

let platform: Platform;
let api: ApiClient;

beforeAll(async () => {
  platform = await Platform.start();
  api = new ApiClient(platform.baseUrl);
  await api.login(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

describe('the platform behind one base URL', () => {
  it('publishes one OpenAPI document with exactly the contract operations', async () => {
    const response = await api.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json');
    expect(response.status).toBe(200);
    const operations = Object.entries(response.body.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual([...CONTRACT_OPERATIONS].sort());
  });

  it('documents a problem response on every operation and money as strings', async () => {
    const response = await api.get<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>('/openapi.json');
    for (const [path, item] of Object.entries(response.body.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const codes = Object.keys(operation.responses ?? {});
        expect(
          codes.some((code) => code.startsWith('2')),
          `${method} ${path} has a success response`,
        ).toBe(true);
        expect(
          codes.some((code) => code.startsWith('4')),
          `${method} ${path} documents its problems`,
        ).toBe(true);
      }
    }
    expect(response.text).not.toMatch(/"amount":\{"type":"number"/);
  });

  it('moves money from a curl-style client: deposit, transfer, statements on both sides', async () => {
    const [from, to] = await openFundedAccounts(api, 2, '100.00');
    const transfer = await api.move('/v1/transfers', {
      source_account_id: from,
      destination_account_id: to,
      amount: '12.50',
      currency: 'USD',
      description: 'rent share',
    });
    expect(transfer.status).toBe(202);
    expect(transfer.headers.get('location')).toBe(`/v1/transfers/${transfer.body['id']}`);
    expect(transfer.headers.get('x-request-id')).toBeTruthy();

    const final = await waitForFinal(api, String(transfer.body['id']));
    expect(final).toMatchObject({ status: 'posted', amount: '12.50', currency: 'USD' });

    const sourceBalance = await api.get(`/v1/accounts/${from}/balance`);
    expect(sourceBalance.body).toMatchObject({ posted: '87.50', available: '87.50' });
    const destinationBalance = await api.get(`/v1/accounts/${to}/balance`);
    expect(destinationBalance.body).toMatchObject({ posted: '112.50' });

    const statement = await api.get<{ data: Array<Record<string, unknown>> }>(`/v1/accounts/${from}/entries`);
    expect(statement.body.data[0]).toMatchObject({
      transfer_id: transfer.body['id'],
      direction: 'debit',
      amount: '12.50',
      balance_after: '87.50',
    });
    const incoming = await api.get<{ data: Array<Record<string, unknown>> }>(`/v1/accounts/${to}/entries`);
    expect(incoming.body.data[0]).toMatchObject({
      transfer_id: transfer.body['id'],
      direction: 'credit',
      balance_after: '112.50',
    });
  });

  it('holds a large transfer for compliance: an officer finds its case and approves it, and it posts', async () => {
    const { from, to, transfer_id } = await largeTransfer();
    const held = await api.get(`/v1/transfers/${transfer_id}`);
    expect(held.body).toMatchObject({ status: 'held' });
    const cases = await api.get<{ data: Array<Record<string, unknown>> }>(
      '/v1/compliance/cases?status=open&limit=200',
    );
    const found = cases.body.data.find((item) => item['transfer_id'] === transfer_id);
    expect(found).toMatchObject({
      status: 'open',
      hits: [{ rule: 'large_amount', detail: 'amount 12000.00 USD is at least 10000' }],
    });
    const decided = await api.post(`/v1/compliance/cases/${found?.['id']}/decision`, {
      decision: 'approve',
      note: 'Invoice checked.',
    });
    expect(decided.status).toBe(200);
    expect(await waitForFinal(api, transfer_id)).toMatchObject({ status: 'posted', amount: '12000.00' });
    const balance = await api.get(`/v1/accounts/${from}/balance`);
    expect(balance.body).toMatchObject({ posted: '-12000.00' });
    expect((await api.get(`/v1/accounts/${to}/balance`)).body).toMatchObject({ posted: '12000.00' });
  });

  it('rejects a held transfer when the officer rejects its case, moving no money', async () => {
    const { from, transfer_id } = await largeTransfer();
    const cases = await api.get<{ data: Array<Record<string, unknown>> }>(
      '/v1/compliance/cases?status=open&limit=200',
    );
    const found = cases.body.data.find((item) => item['transfer_id'] === transfer_id);
    await api.post(`/v1/compliance/cases/${found?.['id']}/decision`, {
      decision: 'reject',
      note: 'Unexplained source of funds.',
    });
    expect(await waitForFinal(api, transfer_id)).toMatchObject({
      status: 'rejected',
      status_reason: 'compliance_rejected',
    });
    expect((await api.get(`/v1/accounts/${from}/entries`)).body).toMatchObject({ data: [] });
  });

  it('screens parties against an uploaded sanctions list: a confirmed match is rejected, a potential one held, and the rescreening report lists both', async () => {
    const upload = await api.send('POST', '/v1/compliance/sanctions-lists', {
      type: 'text/csv',
      text: SDN_FIXTURE_CSV,
    });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({
      list_version: expect.any(Number),
      entries_loaded: SDN_FIXTURE_ROWS.length,
    });
    // Exactly an entry's name, with its date of birth: confirmed. Exactly one of its aliases: potential.
    const confirmed = await screenedCustomer(
      { full_name: 'Rustam Aliyevich Karimov', country: 'UZ', date_of_birth: '1951-06-10' },
      'confirmed_match',
    );
    const potential = await screenedCustomer(
      { full_name: 'Rostam Karimi', country: 'GB' },
      'potential_match',
    );
    const [payer] = await openFundedAccounts(api, 1, '100.00');
    const accountOf = async (customer_id: string) =>
      String((await api.post('/v1/accounts', { customer_id, currency: 'USD' })).body['id']);
    const toConfirmed = await api.move('/v1/transfers', {
      source_account_id: payer,
      destination_account_id: await accountOf(confirmed),
      amount: '10.00',
      currency: 'USD',
    });
    expect(await waitForFinal(api, String(toConfirmed.body['id']))).toMatchObject({
      status: 'rejected',
      status_reason: 'sanctions_match',
    });
    const toPotential = await api.move('/v1/transfers', {
      source_account_id: payer,
      destination_account_id: await accountOf(potential),
      amount: '10.00',
      currency: 'USD',
    });
    const held_id = String(toPotential.body['id']);
    await waitUntil(async () => (await api.get(`/v1/transfers/${held_id}`)).body['status'] === 'held', {
      timeout_ms: 30_000,
      what: 'the transfer to be held',
    });
    const cases = await api.get<{ data: Array<Record<string, unknown>> }>(
      '/v1/compliance/cases?status=open&limit=200',
    );
    expect(cases.body.data.find((item) => item['transfer_id'] === held_id)).toMatchObject({
      hits: [expect.objectContaining({ rule: 'sanctions_potential_match' })],
    });

    const report = await finishedReport('sanctions_rescreen');
    expect(report).toMatchObject({ status: 'completed' });
    const csv = (await api.get(`/v1/compliance/reports/${report['id']}/download`)).text;
    expect(csv).toContain(confirmed);
    expect(csv).toContain(potential);
  });

  it('runs a reconciliation report for a compliance officer and serves it as CSV', async () => {
    const report = await finishedReport('reconciliation');
    expect(report).toMatchObject({
      status: 'completed',
      progress: 100,
      summary: expect.objectContaining({ ok: true, violations: 0 }),
    });
    const download = await api.get(`/v1/compliance/reports/${report['id']}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(download.text.split('\n')[0]).toBe('record,check,scope,status,checked,violations,subject,details');
  });

  it('lets an operator pause the ledger queue (transfers wait, accepted) and resume it (they post)', async () => {
    const [from, to] = await openFundedAccounts(api, 2, '50.00');
    const paused = await api.post('/v1/ops/queues/ledger/pause', undefined);
    expect(paused.body).toMatchObject({ name: 'ledger', paused: true });
    try {
      const transfer = await api.move('/v1/transfers', {
        source_account_id: from,
        destination_account_id: to,
        amount: '5.00',
        currency: 'USD',
      });
      const transfer_id = String(transfer.body['id']);
      await waitUntil(
        async () => {
          const queues = await api.get<Array<{ name: string; waiting: number }>>('/v1/ops/queues');
          return (queues.body.find((queue) => queue.name === 'ledger')?.waiting ?? 0) > 0;
        },
        { timeout_ms: 30_000, what: 'a ledger job waiting in the paused queue' },
      );
      expect((await api.get(`/v1/transfers/${transfer_id}`)).body).toMatchObject({ status: 'approved' });
      expect((await api.post('/v1/ops/queues/ledger/resume', undefined)).body).toMatchObject({
        paused: false,
      });
      expect(await waitForFinal(api, transfer_id)).toMatchObject({ status: 'posted' });
    } finally {
      await api.post('/v1/ops/queues/ledger/resume', undefined);
    }
  });

  it('carries the request id from the client through the API into the worker logs', async () => {
    const [from, to] = await openFundedAccounts(api, 2, '10.00');
    const requestId = `e2e-trace-${Date.now()}`;
    const transfer = await api.request(
      'POST',
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: '1.00', currency: 'USD' },
      {
        'idempotency-key': requestId,
        'x-request-id': requestId,
      },
    );
    expect(transfer.headers.get('x-request-id')).toBe(requestId);
    await waitForFinal(api, String((transfer.body as Record<string, unknown>)['id']));
    for (const name of ['transactions-api', 'ledger-worker'] as const) {
      expect(platform.app(name).outputLines.join('\n'), `${name} logs the request id`).toContain(requestId);
    }
  });

  it('shuts a disabled client out: no new token, and every API refuses the token it holds', async () => {
    const created = await api.post('/v1/clients', { name: 'Leaked e2e admin console', role: 'admin' });
    expect(created.status).toBe(201);
    const { client_id, client_secret } = created.body as { client_id: string; client_secret: string };
    const leaked = new ApiClient(platform.baseUrl);
    await leaked.login(client_id, client_secret);
    const [account] = await openFundedAccounts(api, 1, '1.00');
    // One read on each API it can reach, so that each has verified (and cached) the token before.
    const reads = [
      `/v1/accounts/${account}/balance`,
      '/v1/transfers?limit=1',
      '/v1/compliance/cases?limit=1',
      '/v1/ops/queues',
    ];
    for (const read of reads) expect((await leaked.get(read)).status, read).toBe(200);

    const disable = runOperatorCommand(platform, 'disable-api-client.ts', [client_id, 'e2e: key leaked']);
    expect(disable.status, disable.stderr).toBe(0);
    expect(disable.stdout).toBe(`disable-api-client disabled ${client_id}\n`);

    expect((await api.post('/v1/auth/token', { client_id, client_secret })).status).toBe(401);
    // Each API reads the disabled clients every 5 s.
    for (const read of reads) {
      await waitUntil(async () => (await leaked.get(read)).status === 401, {
        timeout_ms: 15_000,
        interval_ms: 100,
        what: `${read} to refuse the disabled client`,
      });
    }
    const refused = await leaked.get(reads[0] as string);
    expect(refused.body).toMatchObject({
      code: 'unauthorized',
      detail: 'The access token belongs to a disabled client.',
    });
    // The operator's action is on the audit trail, with the reason given.
    const { rows } = await platform.database.pool.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM audit_records WHERE resource = $1`,
      [`api_clients/${client_id}`],
    );
    expect(rows).toEqual([
      { actor: expect.stringMatching(/^operator:/), action: 'disable-api-client: e2e: key leaked' },
    ]);
    // Another run changes nothing and says so.
    const again = runOperatorCommand(platform, 'disable-api-client.ts', [client_id]);
    expect(again.stdout).toBe(`disable-api-client already_disabled ${client_id}\n`);
    expect(again.status).toBe(0);
  }, 120_000);

  it('serves the health, readiness and metrics of the relay and each worker on its operations port', async () => {
    // One transfer through the whole pipeline, so that each process has jobs (or rows) to report.
    const [from, to] = (await openFundedAccounts(api, 2, '50.00')) as [string, string];
    const transfer = await api.move('/v1/transfers', {
      source_account_id: from,
      destination_account_id: to,
      amount: '5.00',
      currency: 'USD',
    });
    expect(transfer.status).toBe(202);
    expect((await waitForFinal(api, String(transfer.body['id'])))['status']).toBe('posted');
    const pipelineSamples: Record<string, string[]> = {
      'outbox-relay': ['ledgerline_outbox_published_total{queue="screening"}'],
      'compliance-worker': [
        'ledgerline_job_attempt_duration_seconds_count{queue="screening",job_name="screen",outcome="completed"}',
        'ledgerline_batch_duration_seconds_count{batcher="screening",outcome="ok"}',
      ],
      'ledger-worker': [
        'ledgerline_job_attempt_duration_seconds_count{queue="ledger",job_name="advance",outcome="completed"}',
        'ledgerline_batch_duration_seconds_count{batcher="ledger",outcome="ok"}',
      ],
    };
    for (const [name, url] of Object.entries(platform.opsUrls)) {
      await waitUntil(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, {
        timeout_ms: 30_000,
        what: `${name} to be ready on its operations port`,
      });
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json(), name).toEqual({
        status: 'ready',
        checks: { database: 'ok', redis: 'ok' },
        failed: [],
      });
      expect((await fetch(`${url}/healthz`)).status, name).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics, name).toMatch(
        new RegExp(`^process_resident_memory_bytes\\{service="${name}"\\} \\d+`, 'm'),
      );
      for (const sample of pipelineSamples[name]!)
        expect(samplesOf(metrics).get(sample), `${name}: ${sample}`).toBeGreaterThanOrEqual(1);
    }
    expect(Object.keys(platform.opsUrls).sort()).toEqual([
      'compliance-worker',
      'ledger-worker',
      'outbox-relay',
    ]);
  });
});

/** 12,000 between two accounts of a new customer, the sender within its overdraft: screening holds it (>= 10,000). */
async function largeTransfer(): Promise<{ from: string; to: string; transfer_id: string }> {
  const customer = await api.post('/v1/customers', { full_name: 'E2E Importer', country: 'GB' });
  const open = async (overdraft_limit: string) =>
    String(
      (await api.post('/v1/accounts', { customer_id: customer.body['id'], currency: 'USD', overdraft_limit }))
        .body['id'],
    );
  const [from, to] = [await open('20000.00'), await open('0.00')];
  const transfer = await api.move('/v1/transfers', {
    source_account_id: from,
    destination_account_id: to,
    amount: '12000.00',
    currency: 'USD',
  });
  expect(transfer.status).toBe(202);
  const transfer_id = String(transfer.body['id']);
  await waitUntil(async () => (await api.get(`/v1/transfers/${transfer_id}`)).body['status'] === 'held', {
    timeout_ms: 30_000,
    interval_ms: 50,
    what: `transfer ${transfer_id} to be held`,
  });
  return { from, to, transfer_id };
}

/** A customer, once the sanctions worker has screened it (its creation queued the screening). */
async function screenedCustomer(body: Record<string, string>, status: string): Promise<string> {
  const created = await api.post('/v1/customers', body);
  expect(created.status).toBe(201);
  const id = String(created.body['id']);
  await waitUntil(async () => (await api.get(`/v1/customers/${id}`)).body['sanctions_status'] === status, {
    timeout_ms: 30_000,
    what: `customer ${id} to be screened as ${status}`,
  });
  return id;
}

/** Requests a report over the last hour and waits until it has run. */
async function finishedReport(type: string): Promise<Record<string, unknown>> {
  const from = new Date(Date.now() - 60 * 60 * 1_000).toISOString();
  const to = new Date(Date.now() + 60 * 1_000).toISOString();
  const requested = await api.post('/v1/compliance/reports', { type, from, to });
  expect(requested.status).toBe(202);
  expect(requested.headers.get('location')).toBe(`/v1/compliance/reports/${requested.body['id']}`);
  return waitUntil(
    async () => {
      const response = await api.get(`/v1/compliance/reports/${requested.body['id']}`);
      return ['completed', 'failed'].includes(String(response.body['status'])) ? response.body : undefined;
    },
    { timeout_ms: 60_000, interval_ms: 200, what: `the ${type} report to finish` },
  );
}
