import type { Database } from '@ledgerline/db';

export interface AuditChainVerification {
  ok: boolean;
  /** Records read, up to and including the first broken one. */
  records_checked: number;
  /** Id (a decimal string, the column is BIGINT) of the first record whose hash or link is wrong. */
  first_broken_id: string | null;
  /**
   * Records not sealed yet (the sealer chains committed records within about a second): they are in
   * the table, but no hash protects them yet.
   */
  records_unsealed: number;
}

export interface VerifyAuditChainOptions {
  /** Records read per query; the chain is walked in its order, one bounded page at a time. */
  batch_size?: number;
}

const GENESIS_HASH = '0'.repeat(64);

interface Row {
  id: string;
  chain_position: string;
  prev_hash: string;
  hash: string;
  expected_hash: string;
}

/**
 * Recomputes every sealed record's hash with the database's own `audit_record_hash` (the function the
 * sealer uses, so there is one definition) and checks, walking the chain by `chain_position`, that each
 * record links to the hash of the one before it and that no position is missing. An edited record
 * fails its own hash; a record edited with a recomputed hash, or a deleted record, breaks the link of
 * the next one. Removing records from the end leaves a valid shorter chain: compare `records_checked`
 * with an independent count (for example a copy shipped elsewhere) for that.
 */
export async function verifyAuditChain(
  db: Database,
  options: VerifyAuditChainOptions = {},
): Promise<AuditChainVerification> {
  const batch_size = options.batch_size ?? 5_000;
  let previous_hash = GENESIS_HASH;
  let after_position = 0n;
  let records_checked = 0;
  const [unsealed] = await db.$queryRaw<Array<{ count: number }>>`
    SELECT count(*)::integer AS count FROM audit_records WHERE chain_position IS NULL`;
  const records_unsealed = unsealed?.count ?? 0;
  for (;;) {
    const rows = await db.$queryRaw<Row[]>`
      SELECT id::text AS id, chain_position::text AS chain_position, prev_hash, hash,
             audit_record_hash(prev_hash, id, occurred_at, actor, role, action, resource, request_id, outcome) AS expected_hash
      FROM audit_records
      WHERE chain_position > ${after_position.toString()}::bigint
      ORDER BY audit_records.chain_position -- the table column: a bare name would sort by the text alias
      LIMIT ${batch_size}::integer`;
    for (const row of rows) {
      records_checked += 1;
      const position = BigInt(row.chain_position);
      if (
        position !== after_position + 1n ||
        row.prev_hash !== previous_hash ||
        row.hash !== row.expected_hash
      ) {
        return { ok: false, records_checked, first_broken_id: row.id, records_unsealed };
      }
      previous_hash = row.hash;
      after_position = position;
    }
    if (rows.length < batch_size)
      return { ok: true, records_checked, first_broken_id: null, records_unsealed };
  }
}
