import type { Database } from '@ledgerline/db';

export interface AuditChainVerification {
  ok: boolean;
  /** Records read, up to and including the first broken one. */
  records_checked: number;
  /** Id (a decimal string, the column is BIGINT) of the first record whose hash or link is wrong. */
  first_broken_id: string | null;
}

export interface VerifyAuditChainOptions {
  /** Records read per query; the table is walked in id order, one bounded page at a time. */
  batch_size?: number;
}

const GENESIS_HASH = '0'.repeat(64);

interface Row {
  id: string;
  prev_hash: string;
  hash: string;
  expected_hash: string;
}

/**
 * Recomputes every record's hash with the database's own `audit_record_hash` (the function the insert
 * trigger uses, so there is one definition) and checks that each record links to the hash of the one
 * before it. An edited record fails its own hash; a record edited with a recomputed hash, or a deleted
 * record, breaks the link of the next one. Removing records from the end leaves a valid shorter chain:
 * compare `records_checked` with an independent count (for example a copy shipped elsewhere) for that.
 */
export async function verifyAuditChain(db: Database, options: VerifyAuditChainOptions = {}): Promise<AuditChainVerification> {
  const batch_size = options.batch_size ?? 5_000;
  let previous_hash = GENESIS_HASH;
  let after_id = '0';
  let records_checked = 0;
  for (;;) {
    const rows = await db.$queryRaw<Row[]>`
      SELECT id::text AS id, prev_hash, hash,
             audit_record_hash(prev_hash, id, occurred_at, actor, role, action, resource, request_id, outcome) AS expected_hash
      FROM audit_records
      WHERE id > ${after_id}::bigint
      ORDER BY audit_records.id -- the table column: a bare "id" would sort by the text alias
      LIMIT ${batch_size}::integer`;
    for (const row of rows) {
      records_checked += 1;
      if (row.prev_hash !== previous_hash || row.hash !== row.expected_hash) {
        return { ok: false, records_checked, first_broken_id: row.id };
      }
      previous_hash = row.hash;
      after_id = row.id;
    }
    if (rows.length < batch_size) return { ok: true, records_checked, first_broken_id: null };
  }
}
