import { Prisma, sqlArray, type Database } from '@ledgerline/db';
import { Decimal, formatAmount } from '@ledgerline/money';
import type { ComplianceThresholds } from '../thresholds/compliance-thresholds';
import type {
  ScreenedTransfer,
  ScreeningDecision,
  ScreeningHit,
  ScreeningRules,
} from '../screening/screening.rules';

export type SanctionsStatus = 'clear' | 'potential_match' | 'confirmed_match';

/** What screening needs to know of a customer's sanctions screening (the sanctions library's screener provides it). */
export interface CustomerSanctionsStanding {
  status: SanctionsStatus;
  /** The best match when not clear: public list data only. */
  match: { ent_num: number; name: string; score: number } | null;
}

/**
 * Where the rules learn the sanctions status of customers not yet screened against the current list
 * (created a moment ago, or a list just loaded): the sanctions library's screener screens and records
 * them. Customers screened against it already are read with the rules' facts, without a call; without
 * a source, the status stored on the customer row is used as it is.
 */
export interface SanctionsStandingSource {
  screenCustomers(customer_ids: readonly string[]): Promise<ReadonlyMap<string, CustomerSanctionsStanding>>;
}

export interface AmlRulesOptions {
  db: Database;
  thresholds: ComplianceThresholds;
  sanctions?: SanctionsStandingSource;
}

/** One side of a transfer as the rules see it; the settlement account's side has no customer. */
interface Party {
  side: 'source' | 'destination';
  customer_id: string;
  country: string;
  stored: CustomerSanctionsStanding;
  /** Screened against an older list than the current one (or never, while a list exists). */
  behind_current_list: boolean;
}

/** A party's side of the facts row: its customer, as stored. */
interface PartyFacts {
  customer_id: string | null;
  country: string | null;
  sanctions_status: SanctionsStatus | null;
  sanctions_match: CustomerSanctionsStanding['match'];
  behind_current_list: boolean | null;
}

interface TransferFacts {
  id: string;
  source_customer_id: string | null;
  source_country: string | null;
  source_sanctions_status: SanctionsStatus | null;
  source_sanctions_match: CustomerSanctionsStanding['match'];
  source_behind_current_list: boolean | null;
  destination_customer_id: string | null;
  destination_country: string | null;
  destination_sanctions_status: SanctionsStatus | null;
  destination_sanctions_match: CustomerSanctionsStanding['match'];
  destination_behind_current_list: boolean | null;
  /**
   * Transfers out of the source account in the velocity window up to and including this one, counted
   * up to one more than the rule allows.
   */
  velocity_transfers: bigint;
  /**
   * The originator's transfers in the structuring range and window up to and including this one,
   * counted up to the rule's minimum (0 when this one is outside the range).
   */
  structuring_transfers: bigint;
}

/**
 * The contract's AML rules (docs/compliance-and-ops.md): large amount, structuring, velocity,
 * high-risk country and sanctions, evaluated for a whole claimed set of transfers with one query (and
 * a sanctions look-up only for parties behind the current list), never one round trip per transfer.
 */
export function createAmlRules(options: AmlRulesOptions): ScreeningRules {
  const { db, thresholds } = options;
  return {
    async evaluate(transfers) {
      if (transfers.length === 0) return [];
      const facts = new Map((await readFacts(db, thresholds, transfers)).map((row) => [row.id, row]));
      const parties = new Map(transfers.map((transfer) => [transfer.id, partiesOf(facts.get(transfer.id))]));
      const standings = await sanctionsStandings(options.sanctions, [...parties.values()].flat());
      return transfers.map((transfer) => {
        const fact = facts.get(transfer.id);
        // A transfer row always has its accounts (foreign keys); no facts means it vanished, which the
        // screening service never asks about.
        if (fact === undefined) throw new Error(`no facts for transfer ${transfer.id}`);
        return decide(transfer, fact, parties.get(transfer.id) ?? [], standings, thresholds);
      });
    },
  };
}

function decide(
  transfer: ScreenedTransfer,
  fact: TransferFacts,
  parties: readonly Party[],
  standings: ReadonlyMap<string, CustomerSanctionsStanding>,
  thresholds: ComplianceThresholds,
): ScreeningDecision {
  const hits: ScreeningHit[] = [];
  const amount = new Decimal(transfer.amount);
  const shown = (value: Decimal) => formatAmount(value, transfer.currency);
  if (amount.greaterThanOrEqualTo(thresholds.large_amount_min)) {
    hits.push({
      rule: 'large_amount',
      detail: `amount ${shown(amount)} ${transfer.currency} is at least ${thresholds.large_amount_min.toString()}`,
    });
  }
  const { structuring, velocity } = thresholds;
  if (fact.structuring_transfers >= BigInt(structuring.transfers_min)) {
    const originator = transfer.kind === 'deposit' ? fact.destination_customer_id : fact.source_customer_id;
    hits.push({
      rule: 'structuring',
      detail:
        `${structuring.transfers_min} or more transfers of customer ${originator} between ` +
        `${structuring.amount_min.toString()} and ${structuring.amount_max.toString()} within ${hoursOf(structuring.window_ms)} h`,
    });
  }
  if (fact.velocity_transfers > BigInt(velocity.transfers_max)) {
    hits.push({
      rule: 'velocity',
      detail:
        `more than ${velocity.transfers_max} transfers out of account ${transfer.source_account_id} ` +
        `within ${minutesOf(velocity.window_ms)} min`,
    });
  }
  for (const party of parties) {
    if (thresholds.high_risk_countries.has(party.country)) {
      hits.push({
        rule: 'high_risk_country',
        detail: `${party.side} customer ${party.customer_id} is in high-risk country ${party.country}`,
      });
    }
  }
  let confirmed = false;
  for (const party of parties) {
    const standing = standings.get(party.customer_id) ?? party.stored;
    if (standing.status === 'clear') continue;
    confirmed ||= standing.status === 'confirmed_match';
    hits.push({ rule: `sanctions_${standing.status}`, detail: sanctionsDetail(party, standing) });
  }
  if (confirmed) return { decision: 'reject', reason: 'sanctions_match', hits };
  return hits.length > 0 ? { decision: 'hold', hits } : { decision: 'approve' };
}

function sanctionsDetail(party: Party, standing: CustomerSanctionsStanding): string {
  const kind = standing.status === 'confirmed_match' ? 'a confirmed' : 'a potential';
  const entry =
    standing.match === null
      ? ''
      : `: SDN entry ${standing.match.ent_num} "${standing.match.name}" (score ${standing.match.score.toFixed(3)})`;
  return `${party.side} customer ${party.customer_id} is ${kind} sanctions match${entry}`;
}

function partiesOf(fact: TransferFacts | undefined): Party[] {
  if (fact === undefined) return [];
  const sides: Array<[Party['side'], PartyFacts]> = [
    [
      'source',
      {
        customer_id: fact.source_customer_id,
        country: fact.source_country,
        sanctions_status: fact.source_sanctions_status,
        sanctions_match: fact.source_sanctions_match,
        behind_current_list: fact.source_behind_current_list,
      },
    ],
    [
      'destination',
      {
        customer_id: fact.destination_customer_id,
        country: fact.destination_country,
        sanctions_status: fact.destination_sanctions_status,
        sanctions_match: fact.destination_sanctions_match,
        behind_current_list: fact.destination_behind_current_list,
      },
    ],
  ];
  return sides.flatMap(([side, party]) => {
    if (party.customer_id === null) return [];
    const status = party.sanctions_status ?? 'clear';
    return [
      {
        side,
        customer_id: party.customer_id,
        country: party.country ?? '',
        stored: {
          status,
          match:
            status === 'clear' || party.sanctions_match === null
              ? null
              : {
                  ent_num: party.sanctions_match.ent_num,
                  name: party.sanctions_match.name,
                  score: party.sanctions_match.score,
                },
        },
        behind_current_list: party.behind_current_list === true,
      },
    ];
  });
}

/** Asks the sanctions source only about the parties behind the current list: usually none. */
async function sanctionsStandings(
  source: SanctionsStandingSource | undefined,
  parties: readonly Party[],
): Promise<ReadonlyMap<string, CustomerSanctionsStanding>> {
  const behind = [
    ...new Set(parties.filter((party) => party.behind_current_list).map((party) => party.customer_id)),
  ];
  if (source === undefined || behind.length === 0) return new Map();
  return source.screenCustomers(behind);
}

/**
 * Everything the rules need of every transfer, in one statement. The counts walk the (account, id)
 * indexes between two ids: the transfer's own, and the smallest UUIDv7 of the window's start
 * (`uuidv7_lower_bound`), so they cost the transfers in the window, not the account's history; and they
 * stop as soon as the rule's answer is known (LIMIT), so a busy account costs no more than a quiet one.
 * The structuring count runs only for a transfer inside the structuring range, and counts, as the
 * structuring report does, one originator's transfers in the transfer's own currency (the range is an
 * amount, not a value). Reversals neither count nor are counted: the bank originates them, not the
 * customer.
 */
async function readFacts(
  db: Database,
  thresholds: ComplianceThresholds,
  transfers: readonly ScreenedTransfer[],
): Promise<TransferFacts[]> {
  return db.$queryRaw<TransferFacts[]>(
    factsStatement(
      thresholds,
      transfers.map((transfer) => transfer.id),
    ),
  );
}

/** The statement of {@link readFacts}; exported for its plan test. */
export function factsStatement(
  thresholds: ComplianceThresholds,
  transfer_ids: readonly string[],
): Prisma.Sql {
  const { structuring, velocity } = thresholds;
  const amount_min = structuring.amount_min.toString();
  const amount_max = structuring.amount_max.toString();
  const inRange = (column: Prisma.Sql) =>
    Prisma.sql`${column} BETWEEN ${amount_min}::numeric AND ${amount_max}::numeric`;
  const structuringSince = Prisma.sql`uuidv7_lower_bound(t.created_at - ${structuring.window_ms} * interval '1 millisecond')`;
  return Prisma.sql`
    SELECT t.id::text AS id,
      src.customer_id::text AS source_customer_id, src.country::text AS source_country,
      src.sanctions_status::text AS source_sanctions_status, src.sanctions_match AS source_sanctions_match,
      coalesce(src.sanctions_screened_version, 0) < current_list.version AS source_behind_current_list,
      dst.customer_id::text AS destination_customer_id, dst.country::text AS destination_country,
      dst.sanctions_status::text AS destination_sanctions_status, dst.sanctions_match AS destination_sanctions_match,
      coalesce(dst.sanctions_screened_version, 0) < current_list.version AS destination_behind_current_list,
      CASE WHEN src.kind = 'settlement' OR t.kind = 'reversal' THEN 0 ELSE (
        SELECT count(*) FROM (
          SELECT 1 FROM transfers o
          WHERE o.source_account_id = t.source_account_id AND o.kind <> 'reversal'
            AND o.id >= uuidv7_lower_bound(t.created_at - ${velocity.window_ms} * interval '1 millisecond')
            AND o.id <= t.id
          LIMIT ${velocity.transfers_max + 1}) AS recent)
      END AS velocity_transfers,
      CASE WHEN orig.customer_id IS NULL OR t.kind = 'reversal' OR NOT ${inRange(Prisma.sql`t.amount`)} THEN 0 ELSE (
        SELECT count(*) FROM (
          SELECT 1 FROM accounts a
          CROSS JOIN LATERAL (
            SELECT o.id FROM transfers o
            WHERE o.source_account_id = a.id AND o.kind IN ('transfer', 'withdrawal')
              AND o.id >= ${structuringSince} AND o.id <= t.id AND ${inRange(Prisma.sql`o.amount`)}
            UNION ALL
            SELECT o.id FROM transfers o
            WHERE o.destination_account_id = a.id AND o.kind = 'deposit'
              AND o.id >= ${structuringSince} AND o.id <= t.id AND ${inRange(Prisma.sql`o.amount`)}
          ) AS o
          WHERE a.customer_id = orig.customer_id AND a.currency = t.currency
          LIMIT ${structuring.transfers_min}) AS ranged)
      END AS structuring_transfers
    FROM transfers t
    CROSS JOIN LATERAL (${partyOf(Prisma.sql`t.source_account_id`)}) AS src
    CROSS JOIN LATERAL (${partyOf(Prisma.sql`t.destination_account_id`)}) AS dst
    CROSS JOIN LATERAL (SELECT CASE WHEN t.kind = 'deposit' THEN dst.customer_id ELSE src.customer_id END AS customer_id) AS orig
    -- The current sanctions list (null before the first): one primary-key probe for the whole batch.
    CROSS JOIN (SELECT max(version) AS version FROM sanctions_lists) AS current_list
    WHERE t.id = ANY(${sqlArray(transfer_ids)}::uuid[])`;
}

/**
 * One party of a transfer: its account and the account's customer (none for a settlement account), looked
 * up by primary key for each transfer. `OFFSET 0` keeps Postgres from flattening the look-up into the
 * statement's join, so the plan is the same per-transfer nested loop for a batch of 1 or of 1,000. As one
 * join of six tables it cost more to plan (about 1.5 ms) than to run, and its generic plan, priced for
 * ten transfers, merged the whole accounts index with the batch (2.5 ms at 10,000 accounts).
 */
function partyOf(account_id: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT a.customer_id, a.kind, c.country, c.sanctions_status, c.sanctions_match, c.sanctions_screened_version
    FROM accounts a LEFT JOIN customers c ON c.id = a.customer_id
    WHERE a.id = ${account_id}
    OFFSET 0`;
}

function hoursOf(window_ms: number): string {
  return String(window_ms / 3_600_000);
}

function minutesOf(window_ms: number): string {
  return String(window_ms / 60_000);
}
