import { readUntil, sendCommand, type ChaosApi } from './clients';
import { FINAL_STATUSES } from './support';

/** How long a client waits for its transfer to be final before it gives up reversing it. */
const FINAL_WAIT_MS = 30_000;
/** The reason every chaos reversal gives (the contract asks for one). */
const REASON = 'chaos: reversed by its client';

/** A client's reversal of one of its posted transfers, and what the platform answered. */
export interface ReversalRecord {
  /**
   * accepted: a 202 named the reversal; indeterminate: no answer that decides it; not_sent: the
   * transfer did not post (or was not final in time), so there was nothing to reverse.
   */
  outcome: 'accepted' | 'indeterminate' | 'not_sent';
  transfer_id: string | null;
  attempts: number;
}

/**
 * Waits for a transfer to be final and, if it posted, reverses it with its own Idempotency-Key (sent
 * with {@link sendCommand}). Answers a correct platform never gives (a 409 for a posted transfer nobody
 * else reverses, say) go to `original.anomalies`.
 */
export async function reverseWhenPosted(
  api: ChaosApi,
  original: { transfer_id: string; key: string; anomalies: string[] },
): Promise<ReversalRecord> {
  const record: ReversalRecord = { outcome: 'not_sent', transfer_id: null, attempts: 0 };
  if ((await finalStatus(api, original.transfer_id)) !== 'posted') return record;
  const { answer, attempts } = await sendCommand(
    api,
    `/v1/transfers/${original.transfer_id}/reverse`,
    { reason: REASON },
    `${original.key}-reverse`,
  );
  record.attempts = attempts;
  if (answer.kind === 'accepted') {
    record.outcome = 'accepted';
    record.transfer_id = String(answer.response.body['id']);
    return record;
  }
  record.outcome = 'indeterminate';
  if (answer.kind === 'refused')
    original.anomalies.push(
      `reverse attempt ${attempts}: ${answer.response.status} ${answer.response.text.slice(0, 300)}`,
    );
  return record;
}

/** The transfer's status once final (long polls with `Prefer: wait`), or undefined if it was not final in time. */
function finalStatus(api: ChaosApi, transfer_id: string): Promise<string | undefined> {
  return readUntil(
    api,
    `/v1/transfers/${transfer_id}`,
    (response) => {
      const status = response.status === 200 ? String(response.body['status']) : undefined;
      return status !== undefined && FINAL_STATUSES.has(status) ? status : undefined;
    },
    { timeout_ms: FINAL_WAIT_MS, headers: { prefer: 'wait=5' } },
  );
}
