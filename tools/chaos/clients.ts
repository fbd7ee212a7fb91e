import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Decimal } from '@ledgerline/money';
import { HOLD_EXPIRES_IN_SECONDS, settleHold, type HoldActionRecord } from './holds';
import type { Random } from './random';
import { reverseWhenPosted, type ReversalRecord } from './reversals';

/** One HTTP attempt; a platform that does not answer within this is retried like an error. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Retries of one logical transfer are bounded in number and in time. */
const ATTEMPTS_MAX = 40;
const TRANSFER_DEADLINE_MS = 120_000;
const BACKOFF_MAX_MS = 2_000;
/** One accepted transfer in this many is sent once more with its key, to check the stored answer is replayed. */
const REPLAY_ONE_IN = 10;
const AMOUNT_CENTS_MAX = 40_000;
/** One transfer in this many is a hold, then captured, voided or left to expire (see `settleHold`). */
const HOLD_ONE_IN = 5;
/** One accepted transfer in this many is reversed by its client once it has posted. */
const REVERSE_ONE_IN = 10;
/** One request in this many is an atomic batch of 2 to {@link BATCH_SIZE_MAX} transfers. */
const BATCH_ONE_IN = 10;
const BATCH_SIZE_MAX = 4;
/** One request in this many is a deposit or a withdrawal (half each) on one account, money from or to the outside. */
const MOVEMENT_ONE_IN = 10;
const CURRENCIES = ['USD', 'EUR'] as const;

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

/** A bank's backend talking to the base URL, with a bounded timeout on every request. */
export class ChaosApi {
  private token = '';
  private login_in_flight: Promise<void> | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly client_id: string,
    private readonly client_secret: string,
  ) {}

  /** Logs in once however many clients ask at the same time (after a 401, say). */
  login(): Promise<void> {
    this.login_in_flight ??= (async () => {
      try {
        const response = await this.request(
          'POST',
          '/v1/auth/token',
          { client_id: this.client_id, client_secret: this.client_secret },
          {},
          false,
        );
        if (response.status !== 200)
          throw new Error(`login failed: ${response.status} ${response.text.slice(0, 200)}`);
        this.token = String(response.body['access_token']);
      } finally {
        this.login_in_flight = undefined;
      }
    })();
    return this.login_in_flight;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    authorized = true,
  ): Promise<ApiResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(authorized && this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // A proxy's HTML error page, say: the status is what matters.
    }
    return { status: response.status, body: parsed, text };
  }
}

export interface BankAccount {
  id: string;
  currency: string;
  overdraft_limit: string;
}

export interface Bank {
  accounts: BankAccount[];
  /** What the funding deposits brought to the customer accounts of each currency (later deposits and withdrawals add and take away). */
  funded_by_currency: Map<string, Decimal>;
}

/**
 * Opens `count` accounts (currencies alternating, every other one with an overdraft) for one customer
 * and funds each with a deposit that has posted before the storm starts. No fault runs meanwhile.
 */
export async function openBank(api: ChaosApi, count: number, funding: string): Promise<Bank> {
  const customer = await api.request('POST', '/v1/customers', { full_name: 'Chaos Customer', country: 'GB' });
  if (customer.status !== 201) throw new Error(`customer: ${customer.status} ${customer.text}`);
  const accounts: BankAccount[] = [];
  const funded_by_currency = new Map<string, Decimal>();
  for (let index = 0; index < count; index += 1) {
    const currency = CURRENCIES[index % CURRENCIES.length] as string;
    const overdraft_limit = index % 4 < 2 ? '0.00' : '200.00';
    const account = await api.request('POST', '/v1/accounts', {
      customer_id: customer.body['id'],
      currency,
      overdraft_limit,
    });
    if (account.status !== 201) throw new Error(`account: ${account.status} ${account.text}`);
    const id = String(account.body['id']);
    const deposit = await api.request(
      'POST',
      '/v1/deposits',
      { account_id: id, amount: funding, currency },
      { 'idempotency-key': `chaos-funding-${id}` },
    );
    if (deposit.status !== 202) throw new Error(`deposit: ${deposit.status} ${deposit.text}`);
    await waitForPosted(api, String(deposit.body['id']));
    accounts.push({ id, currency, overdraft_limit });
    funded_by_currency.set(currency, (funded_by_currency.get(currency) ?? new Decimal(0)).plus(funding));
  }
  return { accounts, funded_by_currency };
}

async function waitForPosted(api: ChaosApi, transfer_id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await api.request('GET', `/v1/transfers/${transfer_id}`, undefined, {
      prefer: 'wait=5',
    });
    const status = String(response.body['status']);
    if (status === 'posted') return;
    if (['rejected', 'voided'].includes(status))
      throw new Error(`funding deposit ${transfer_id} ended ${status}`);
  }
  throw new Error(`funding deposit ${transfer_id} did not post within 60 s`);
}

export interface TransferBody {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  metadata: { chaos_key: string };
  hold?: true;
  hold_expires_in_seconds?: number;
}

/**
 * A deposit or withdrawal: the settlement account is the other side. The contract gives these no
 * metadata, so the key goes in `description`, where the checks find it.
 */
export interface MovementBody {
  account_id: string;
  amount: string;
  currency: string;
  description: string;
}

export type MovementKind = 'deposit' | 'withdrawal';

const MOVEMENT_PATH: Record<MovementKind, string> = {
  deposit: '/v1/deposits',
  withdrawal: '/v1/withdrawals',
};

/** What one logical request asked for: a transfer between two bank accounts, or money in or out of one. */
export type RequestOf = { kind: 'transfer'; body: TransferBody } | { kind: MovementKind; body: MovementBody };

/** One logical transfer as its client saw it: its history entry. */
export type TransferRecord = RecordOutcome & RequestOf;

interface RecordOutcome {
  key: string;
  client: number;
  /** accepted: a 202 named its transfer; indeterminate: retries ran out without one; refused: an answer retrying cannot change. */
  outcome: 'accepted' | 'indeterminate' | 'refused';
  transfer_id: string | null;
  attempts: number;
  /** Answers a correct platform never gives this client (e.g. 422 for a retry with the same body). */
  anomalies: string[];
  /** A hold's capture or void (or neither), once it was accepted. */
  hold_action?: HoldActionRecord;
  /** The reversal its client asked for once it had posted. */
  reversal?: ReversalRecord;
  /** Set when the transfer was one of an atomic batch: the batch's Idempotency-Key and size. */
  batch?: { key: string; size: number };
  started_at: string;
  finished_at: string;
}

export interface ClientOptions {
  api: ChaosApi;
  accounts: BankAccount[];
  clients: number;
  /** No new transfer starts after this; those in flight finish their bounded retries. */
  until_ms: number;
  random: Random;
  onRecord(record: TransferRecord): void;
}

/** Runs the concurrent clients until `until_ms`, each moving money among the accounts one transfer at a time. */
export async function runClients(options: ClientOptions): Promise<TransferRecord[]> {
  const records: TransferRecord[] = [];
  const byCurrency = new Map<string, BankAccount[]>();
  for (const account of options.accounts)
    byCurrency.set(account.currency, [...(byCurrency.get(account.currency) ?? []), account]);
  const groups = [...byCurrency.values()].filter((group) => group.length >= 2);
  if (groups.length === 0) throw new Error('the clients need two accounts of one currency');
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      const random = options.random.fork();
      while (Date.now() < options.until_ms) {
        const group = random.pick(groups);
        const key = `chaos-${client}-${randomUUID()}`;
        if (random.integer(1, BATCH_ONE_IN) === 1) {
          const size = random.integer(2, BATCH_SIZE_MAX);
          const bodies = Array.from({ length: size }, (_, index) =>
            transferBody(group, `${key}-${index}`, random),
          );
          for (const record of await submitAtomicBatch(options.api, client, key, bodies)) {
            records.push(record);
            options.onRecord(record);
          }
          continue;
        }
        const replay = random.integer(1, REPLAY_ONE_IN) === 1;
        if (random.integer(1, MOVEMENT_ONE_IN) === 1) {
          const kind: MovementKind = random.integer(0, 1) === 0 ? 'deposit' : 'withdrawal';
          const record = await submit(
            options.api,
            client,
            key,
            { kind, body: movementBody(random.pick(options.accounts), key, random) },
            replay,
          );
          records.push(record);
          options.onRecord(record);
          continue;
        }
        const body = transferBody(group, key, random);
        if (random.integer(1, HOLD_ONE_IN) === 1) {
          body.hold = true;
          body.hold_expires_in_seconds = random.integer(
            HOLD_EXPIRES_IN_SECONDS.min,
            HOLD_EXPIRES_IN_SECONDS.max,
          );
        }
        const record = await submit(options.api, client, key, { kind: 'transfer', body }, replay);
        if (body.hold && record.outcome === 'accepted' && record.transfer_id !== null) {
          const { transfer_id, anomalies } = record;
          record.hold_action = await settleHold(
            options.api,
            { transfer_id, key, amount: body.amount, anomalies },
            random,
          );
        }
        if (
          record.outcome === 'accepted' &&
          record.transfer_id !== null &&
          random.integer(1, REVERSE_ONE_IN) === 1
        ) {
          const { transfer_id, anomalies } = record;
          record.reversal = await reverseWhenPosted(options.api, { transfer_id, key, anomalies });
        }
        records.push(record);
        options.onRecord(record);
      }
    }),
  );
  return records;
}

/** A transfer between two different accounts of one currency, of 0.01 to 400.00, tagged with its key. */
function transferBody(group: readonly BankAccount[], key: string, random: Random): TransferBody {
  const [source, destination] = random.shuffled(group) as [BankAccount, BankAccount];
  return {
    source_account_id: source.id,
    destination_account_id: destination.id,
    amount: randomAmount(random),
    currency: source.currency,
    metadata: { chaos_key: key },
  };
}

/** A deposit to or withdrawal from one account, of 0.01 to 400.00, its key as its description. */
function movementBody(account: BankAccount, key: string, random: Random): MovementBody {
  return {
    account_id: account.id,
    amount: randomAmount(random),
    currency: account.currency,
    description: key,
  };
}

function randomAmount(random: Random): string {
  return new Decimal(random.integer(1, AMOUNT_CENTS_MAX)).dividedBy(100).toFixed(2);
}

/**
 * Sends an atomic batch until a 202 names it (one key for the batch, retried like a transfer) and
 * returns one record per transfer in it, each under its own `metadata.chaos_key`.
 */
async function submitAtomicBatch(
  api: ChaosApi,
  client: number,
  key: string,
  bodies: TransferBody[],
): Promise<TransferRecord[]> {
  const started_at = new Date().toISOString();
  const { answer, attempts } = await sendCommand(
    api,
    '/v1/transfers/batch',
    { atomic: true, transfers: bodies },
    key,
  );
  const stored =
    answer.kind === 'accepted'
      ? ((answer.response.body['transfers'] as Array<Record<string, unknown>> | undefined) ?? [])
      : [];
  const finished_at = new Date().toISOString();
  return bodies.map((body): TransferRecord => {
    const mine = stored.find(
      (transfer) =>
        (transfer['metadata'] as TransferBody['metadata'] | undefined)?.chaos_key === body.metadata.chaos_key,
    );
    const anomalies: string[] = [];
    if (answer.kind === 'refused')
      anomalies.push(
        `batch attempt ${attempts}: ${answer.response.status} ${answer.response.text.slice(0, 300)}`,
      );
    if (answer.kind === 'accepted' && mine === undefined)
      anomalies.push(`batch 202 without transfer ${body.metadata.chaos_key}`);
    return {
      key: body.metadata.chaos_key,
      client,
      kind: 'transfer',
      body,
      outcome:
        answer.kind === 'accepted' ? 'accepted' : answer.kind === 'refused' ? 'refused' : 'indeterminate',
      transfer_id: mine === undefined ? null : String(mine['id']),
      attempts,
      anomalies,
      started_at,
      finished_at,
      batch: { key, size: bodies.length },
    };
  });
}

/** Sends one transfer (or deposit, or withdrawal) until a 202 names it, retrying with the same key on any error, timeout or retryable answer. */
async function submit(
  api: ChaosApi,
  client: number,
  key: string,
  request: RequestOf,
  replay: boolean,
): Promise<TransferRecord> {
  const path = request.kind === 'transfer' ? '/v1/transfers' : MOVEMENT_PATH[request.kind];
  const record: TransferRecord = {
    key,
    client,
    ...request,
    outcome: 'indeterminate',
    transfer_id: null,
    attempts: 0,
    anomalies: [],
    started_at: new Date().toISOString(),
    finished_at: '',
  };
  const { answer, attempts } = await sendCommand(api, path, request.body, key);
  record.attempts = attempts;
  if (answer.kind === 'accepted') {
    record.outcome = 'accepted';
    record.transfer_id = String(answer.response.body['id']);
  } else if (answer.kind === 'refused') {
    record.outcome = 'refused';
    record.anomalies.push(
      `attempt ${attempts}: ${answer.response.status} ${answer.response.text.slice(0, 300)}`,
    );
  }
  if (answer.kind === 'accepted' && replay) {
    // Same key, same body: the contract promises the original answer, byte for byte.
    const again = await api
      .request('POST', path, request.body, { 'idempotency-key': key })
      .catch(() => undefined);
    if (again && again.status !== 202 && !isRetryable(again))
      record.anomalies.push(`replay: ${again.status} ${again.text.slice(0, 300)}`);
    if (again?.status === 202 && again.text !== answer.response.text)
      record.anomalies.push(`replay answered differently: ${again.text.slice(0, 300)}`);
  }
  record.finished_at = new Date().toISOString();
  return record;
}

/** accepted: a 202 (or what `isDone` accepts); refused: an answer retrying cannot change; no_answer: retries ran out without either. */
export type CommandAnswer = { kind: 'accepted' | 'refused'; response: ApiResponse } | { kind: 'no_answer' };

/**
 * POSTs one command (a transfer, a capture, a void, a reversal, a freeze) until the platform decides
 * it, retrying with the same Idempotency-Key (when it has one) and body on any error, timeout or
 * retryable answer (logging in again after a 401): at most {@link ATTEMPTS_MAX} attempts within
 * {@link TRANSFER_DEADLINE_MS}. `isDone` says which answers accept it; a 202 by default.
 */
export async function sendCommand(
  api: ChaosApi,
  path: string,
  body: unknown,
  key: string | undefined,
  isDone: (response: ApiResponse) => boolean = (response) => response.status === 202,
): Promise<{ answer: CommandAnswer; attempts: number }> {
  const deadline = Date.now() + TRANSFER_DEADLINE_MS;
  const headers: Record<string, string> = key === undefined ? {} : { 'idempotency-key': key };
  let attempts = 0;
  while (attempts < ATTEMPTS_MAX && Date.now() < deadline) {
    attempts += 1;
    const response = await api.request('POST', path, body, headers).catch(() => undefined);
    if (response && isDone(response)) return { answer: { kind: 'accepted', response }, attempts };
    if (response?.status === 401) await api.login().catch(() => undefined);
    else if (response && !isRetryable(response)) return { answer: { kind: 'refused', response }, attempts };
    await sleep(Math.min(100 * 2 ** Math.min(attempts, 5), BACKOFF_MAX_MS) * (0.5 + Math.random() / 2));
  }
  return { answer: { kind: 'no_answer' }, attempts };
}

/** The pause before asking again in {@link readUntil}. */
const READ_RETRY_MS = 250;

/**
 * GETs `path` until `decide` makes something of an answer (anything but `undefined`), logging in again
 * after a 401 and asking again after an error, a timeout or an answer it makes nothing of; `undefined`
 * once `timeout_ms` has passed. The clients' way of waiting for what the platform does asynchronously.
 */
export async function readUntil<T>(
  api: ChaosApi,
  path: string,
  decide: (response: ApiResponse) => T | undefined,
  options: { timeout_ms: number; headers?: Record<string, string> },
): Promise<T | undefined> {
  const deadline = Date.now() + options.timeout_ms;
  while (Date.now() < deadline) {
    const response = await api.request('GET', path, undefined, options.headers).catch(() => undefined);
    const decided = response === undefined ? undefined : decide(response);
    if (decided !== undefined) return decided;
    if (response?.status === 401) await api.login().catch(() => undefined);
    await sleep(READ_RETRY_MS);
  }
  return undefined;
}

/** The answers that mean "nothing decided yet, ask again": in flight, throttled, or a server-side fault. */
export function isRetryable(response: ApiResponse): boolean {
  if (response.status >= 500 || response.status === 429) return true;
  return response.status === 409 && response.body['code'] === 'idempotency_request_in_progress';
}
