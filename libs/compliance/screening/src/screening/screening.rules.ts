/** What screening sees of a transfer: ids and amounts, never decrypted personal data. */
export interface ScreenedTransfer {
  id: string;
  kind: 'transfer' | 'deposit' | 'withdrawal' | 'reversal';
  source_account_id: string;
  destination_account_id: string;
  /** A decimal string, as stored (NUMERIC). */
  amount: string;
  currency: string;
  batch_id: string | null;
  client_id: string;
  created_at: Date;
}

/** One rule that matched, for the compliance case an operator reviews. */
export interface ScreeningHit {
  rule: string;
  detail: string;
}

/** The contract's reasons for a compliance rejection. */
export type ScreeningRejectReason = 'compliance_rejected' | 'sanctions_match';

export type ScreeningDecision =
  | { decision: 'approve' }
  | { decision: 'hold'; hits: ScreeningHit[] }
  | { decision: 'reject'; reason: ScreeningRejectReason; hits: ScreeningHit[] };

/**
 * The compliance rules. Screening calls `evaluate` once per claimed set of transfers still in
 * `screening` (one decision per transfer, in order), so the rules can read what they need for all of
 * them at once. It may run again for the same transfers after a crash, so it must not record any
 * decision itself (recording a customer's sanctions screening, which is the same whenever it runs, is fine).
 */
export interface ScreeningRules {
  evaluate(transfers: readonly ScreenedTransfer[]): Promise<ScreeningDecision[]>;
}

const SEVERITY: Record<ScreeningDecision['decision'], number> = { approve: 0, hold: 1, reject: 2 };

/**
 * The decision for an atomic batch, which posts all or nothing: the most severe decision of its transfers
 * (reject over hold over approve), with every hit; a rejection keeps the first rejection's reason.
 */
export function combineDecisions(decisions: readonly ScreeningDecision[]): ScreeningDecision {
  let worst: ScreeningDecision = { decision: 'approve' };
  const hits: ScreeningHit[] = [];
  for (const decision of decisions) {
    if (decision.decision !== 'approve') hits.push(...decision.hits);
    if (SEVERITY[decision.decision] > SEVERITY[worst.decision]) worst = decision;
  }
  if (worst.decision === 'approve') return worst;
  return { ...worst, hits };
}
