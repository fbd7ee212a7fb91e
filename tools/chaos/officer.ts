import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable, type ChaosApi } from './clients';
import type { Random } from './random';

/** How often the officer looks at the work list when it was empty, or after an error. */
const POLL_INTERVAL_MS = 250;
/** Cases taken from the work list per look, and decided at once. */
const PAGE_SIZE = 50;
/** One case in this many is rejected; the others are approved and go on to the ledger. */
const REJECT_ONE_IN = 3;

export interface OfficerReport {
  /** Decisions the platform answered 200 to. */
  approved: number;
  rejected: number;
  /**
   * 409 `invalid_state` answers: the case was decided already. Expected after a decision whose answer
   * was lost (a killed API, a timeout) and retried; the books say what was decided, not this count.
   */
  already_decided: number;
  /** Answers a correct platform never gives (a listed case not found, a valid decision refused as invalid). */
  anomalies: string[];
}

/**
 * A compliance officer working the open cases while the storm goes on, and afterwards until `stop` is
 * aborted (the drain waits for held transfers, which only a decision makes final). Each open case is
 * approved or (once `may_reject`) rejected at random; any error, timeout or retryable answer leaves the case on the list,
 * so it is decided on a later look.
 */
export async function runOfficer(options: {
  api: ChaosApi;
  random: Random;
  stop: AbortSignal;
  /** False while the bank is being funded: the funding deposits must post, so their cases are approved. */
  may_reject: () => boolean;
}): Promise<OfficerReport> {
  const { api, random, stop } = options;
  const report: OfficerReport = { approved: 0, rejected: 0, already_decided: 0, anomalies: [] };
  while (!stop.aborted) {
    const page = await api
      .request('GET', `/v1/compliance/cases?status=open&limit=${PAGE_SIZE}`)
      .catch(() => undefined);
    if (page?.status === 401) await api.login().catch(() => undefined);
    else if (page !== undefined && page.status !== 200 && !isRetryable(page)) {
      report.anomalies.push(`list: ${page.status} ${page.text.slice(0, 300)}`);
    }
    const open = page?.status === 200 ? ((page.body['data'] ?? []) as Array<{ id: string }>) : [];
    await Promise.all(
      open.map((found) =>
        decide(api, found.id, options.may_reject() && random.integer(1, REJECT_ONE_IN) === 1, report),
      ),
    );
    if (open.length < PAGE_SIZE) await sleep(POLL_INTERVAL_MS);
  }
  return report;
}

async function decide(api: ChaosApi, case_id: string, reject: boolean, report: OfficerReport): Promise<void> {
  const decision = reject ? 'reject' : 'approve';
  const response = await api
    .request('POST', `/v1/compliance/cases/${case_id}/decision`, {
      decision,
      note: `chaos officer: ${decision}`,
    })
    .catch(() => undefined);
  if (response === undefined || isRetryable(response)) return;
  if (response.status === 401) {
    await api.login().catch(() => undefined);
    return;
  }
  if (response.status === 200) {
    if (reject) report.rejected += 1;
    else report.approved += 1;
    return;
  }
  if (response.status === 409 && response.body['code'] === 'invalid_state') {
    report.already_decided += 1;
    return;
  }
  report.anomalies.push(`decide ${case_id}: ${response.status} ${response.text.slice(0, 300)}`);
}
