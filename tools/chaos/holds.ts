import { Decimal } from '@ledgerline/money';
import { readUntil, sendCommand, type ChaosApi } from './clients';
import type { Random } from './random';
import { FINAL_STATUSES } from './support';

/** A hold lives this long unless captured or voided first: short, so that the ones left alone expire within the run. */
export const HOLD_EXPIRES_IN_SECONDS = { min: 3, max: 8 } as const;
/** How long a client waits for its hold to reach `pending` (screening, perhaps an officer) before leaving it alone. */
const PENDING_WAIT_MS = 15_000;

/** What a client did with one of its holds once it was pending, and what the platform answered. */
export interface HoldActionRecord {
  action: 'capture' | 'void' | 'none';
  /** capture: the amount asked for; absent: the whole hold. */
  amount?: string;
  /**
   * accepted: a 202; too_late: 409 `invalid_state`, the hold had expired meanwhile; indeterminate: no
   * answer that decides it (retries ran out); not_sent: action none, or the hold was never pending in time.
   */
  outcome: 'accepted' | 'too_late' | 'indeterminate' | 'not_sent';
  attempts: number;
}

/**
 * Decides the fate of an accepted hold the way a card acquirer would: capture it (in full or in
 * part), void it, or let it expire, each with its own Idempotency-Key, sent with {@link sendCommand}.
 * Answers a correct platform never gives go to `hold.anomalies`.
 */
export async function settleHold(
  api: ChaosApi,
  hold: { transfer_id: string; key: string; amount: string; anomalies: string[] },
  random: Random,
): Promise<HoldActionRecord> {
  const { transfer_id, key } = hold;
  const roll = random.integer(1, 4);
  const action = roll <= 2 ? 'capture' : roll === 3 ? 'void' : 'none';
  const cents = new Decimal(hold.amount).times(100).toNumber();
  const amount =
    action === 'capture' && random.integer(0, 1) === 1
      ? new Decimal(random.integer(1, cents)).dividedBy(100).toFixed(2)
      : undefined;
  const record: HoldActionRecord = {
    action,
    ...(amount === undefined ? {} : { amount }),
    outcome: 'not_sent',
    attempts: 0,
  };
  if (action === 'none' || !(await waitForPending(api, transfer_id))) return record;

  const { answer, attempts } = await sendCommand(
    api,
    `/v1/transfers/${transfer_id}/${action}`,
    amount === undefined ? {} : { amount },
    `${key}-${action}`,
  );
  record.attempts = attempts;
  if (answer.kind === 'accepted') record.outcome = 'accepted';
  else if (
    answer.kind === 'refused' &&
    answer.response.status === 409 &&
    answer.response.body['code'] === 'invalid_state'
  )
    record.outcome = 'too_late';
  else {
    record.outcome = 'indeterminate';
    // Answers a correct platform never gives (a 422 for a valid amount, say).
    if (answer.kind === 'refused')
      hold.anomalies.push(
        `${action} attempt ${attempts}: ${answer.response.status} ${answer.response.text.slice(0, 300)}`,
      );
  }
  return record;
}

/** Whether the transfer reached `pending` within the wait (false once it is final, or on timeout). */
async function waitForPending(api: ChaosApi, transfer_id: string): Promise<boolean> {
  const reached = await readUntil(
    api,
    `/v1/transfers/${transfer_id}`,
    (response) => {
      const status = response.status === 200 ? String(response.body['status']) : undefined;
      if (status === 'pending') return true;
      return status !== undefined && FINAL_STATUSES.has(status) ? false : undefined;
    },
    { timeout_ms: PENDING_WAIT_MS },
  );
  return reached ?? false;
}
