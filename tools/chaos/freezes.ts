import { setTimeout as sleep } from 'node:timers/promises';
import {
  isRetryable,
  readUntil,
  sendCommand,
  type ApiResponse,
  type BankAccount,
  type ChaosApi,
} from './clients';
import type { Random } from './random';

/** The pause between one freeze's end and the next freeze. */
const PAUSE_MS = { min: 2_000, max: 5_000 } as const;
/** How long an account stays frozen. */
const FROZEN_MS = { min: 1_000, max: 3_000 } as const;
const READ_DEADLINE_MS = 120_000;

/**
 * One freeze of one account, as the bank's operator saw it. `after_freeze_entry` is the account's
 * newest statement entry read once the freeze was confirmed, `before_unfreeze_entry` the newest read
 * just before the unfreeze was sent: the entries after the first up to the second were all posted
 * while the account was frozen (null where the read or the freeze did not succeed).
 */
export interface FreezeRecord {
  account_id: string;
  /** complete: frozen and unfrozen, both confirmed; indeterminate: a freeze or unfreeze got no answer that decides it. */
  outcome: 'complete' | 'indeterminate';
  after_freeze_entry: string | null;
  before_unfreeze_entry: string | null;
  /** Answers a correct platform never gives (a freeze of an active account refused, say). */
  anomalies: string[];
}

/**
 * An operator freezing one account at a time for a second or three, from now until `until_ms`, while
 * the clients go on moving money (the ledger must reject what touches a frozen account). Freezes
 * have no Idempotency-Key: a 409 `invalid_state` to a retry means an attempt whose answer was lost
 * did change the status, which is all the operator wanted.
 */
export async function runFreezer(options: {
  api: ChaosApi;
  accounts: BankAccount[];
  until_ms: number;
  random: Random;
}): Promise<FreezeRecord[]> {
  const { api, random } = options;
  const records: FreezeRecord[] = [];
  for (;;) {
    await sleep(random.integer(PAUSE_MS.min, PAUSE_MS.max));
    if (Date.now() >= options.until_ms) return records;
    const account_id = random.pick(options.accounts).id;
    const record: FreezeRecord = {
      account_id,
      outcome: 'indeterminate',
      after_freeze_entry: null,
      before_unfreeze_entry: null,
      anomalies: [],
    };
    records.push(record);
    const frozen = await changeStatus(api, account_id, 'freeze', record);
    if (frozen) {
      record.after_freeze_entry = await newestEntry(api, account_id);
      await sleep(random.integer(FROZEN_MS.min, FROZEN_MS.max));
      record.before_unfreeze_entry = await newestEntry(api, account_id);
    }
    // Unfrozen whatever happened: an account left frozen would turn the rest of the run into rejections.
    const unfrozen = await changeStatus(api, account_id, 'unfreeze', record);
    if (frozen && unfrozen) record.outcome = 'complete';
  }
}

/** Freezes or unfreezes until the platform confirms it: a 200, or 409 `invalid_state` (it already is). */
async function changeStatus(
  api: ChaosApi,
  account_id: string,
  action: 'freeze' | 'unfreeze',
  record: FreezeRecord,
): Promise<boolean> {
  const { answer, attempts } = await sendCommand(
    api,
    `/v1/accounts/${account_id}/${action}`,
    undefined,
    undefined,
    isStatusChanged,
  );
  if (answer.kind === 'refused')
    record.anomalies.push(
      `${action} attempt ${attempts}: ${answer.response.status} ${answer.response.text.slice(0, 300)}`,
    );
  return answer.kind === 'accepted';
}

function isStatusChanged(response: ApiResponse): boolean {
  return response.status === 200 || (response.status === 409 && response.body['code'] === 'invalid_state');
}

/** The id of the account's newest statement entry, read until the platform answers (null if it never does). */
async function newestEntry(api: ChaosApi, account_id: string): Promise<string | null> {
  const newest = await readUntil(
    api,
    `/v1/accounts/${account_id}/entries?limit=1`,
    (response) => {
      if (response.status === 200)
        return ((response.body['data'] as Array<{ id: string }> | undefined) ?? [])[0]?.id ?? null;
      // An answer asking again cannot change: give up on this freeze's check.
      return response.status !== 401 && !isRetryable(response) ? null : undefined;
    },
    { timeout_ms: READ_DEADLINE_MS },
  );
  return newest ?? null;
}
