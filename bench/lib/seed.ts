import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';

/**
 * Bulk seeding with SQL, so that setting up 10,000 accounts or 1,000,000 entries takes seconds, not
 * the hours the API would. Rows look as the services would have left them; every amount is a string
 * cast to NUMERIC, as everywhere else in Ledgerline.
 */

const CHUNK_ROWS = 5_000;
export const BENCH_CLIENT_ID = 'bench';
export const BENCH_CURRENCY = 'USD';
/** Large enough that no benchmark transfer is rejected for funds, so every run measures postings. */
export const BENCH_OVERDRAFT_LIMIT = '1000000000.0000';

/**
 * A customer row with placeholder ciphertext, for scenarios that never go through a service that
 * decrypts customers (the posting engine alone). Platform scenarios create their customer through the API.
 */
export async function insertPlaceholderCustomer(pool: pg.Pool): Promise<string> {
  const id = uuidv7();
  await pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'bench-placeholder', 'NL')`,
    [id, randomBytes(32), randomBytes(40)],
  );
  return id;
}

/** Opens `count` USD checking accounts of one customer, each allowed a large overdraft; ids in creation order. */
export async function insertAccounts(pool: pg.Pool, customer_id: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  for (let start = 0; start < ids.length; start += CHUNK_ROWS) {
    await pool.query(
      `INSERT INTO accounts (id, customer_id, currency, kind, overdraft_limit)
       SELECT id, $2::uuid, $3, 'checking', $4::numeric FROM unnest($1::uuid[]) AS id`,
      [ids.slice(start, start + CHUNK_ROWS), customer_id, BENCH_CURRENCY, BENCH_OVERDRAFT_LIMIT],
    );
  }
  await pool.query('ANALYZE accounts');
  return ids;
}

export interface TransferPair {
  source: string;
  destination: string;
}

/** Inserts transfers already `approved` (screening done), as the ledger worker finds them; ids in id order. */
export async function insertApprovedTransfers(
  pool: pg.Pool,
  pairs: readonly TransferPair[],
  amount: string,
): Promise<string[]> {
  const ids = await insertApprovedRows(pool, pairs, amount);
  await pool.query('ANALYZE transfers');
  return ids;
}

/**
 * Inserts `count` approved transfers (see insertApprovedTransfers) `chunk_size` at a time, asking
 * `pairsFor(offset, size)` for each chunk's pairs, so that a million of them never sit in this
 * process's memory at once. Returns nothing: read the ids back with SQL.
 */
export async function insertApprovedTransfersInChunks(
  pool: pg.Pool,
  count: number,
  amount: string,
  pairsFor: (offset: number, size: number) => TransferPair[],
  chunk_size = 50_000,
): Promise<void> {
  for (let offset = 0; offset < count; offset += chunk_size) {
    await insertApprovedRows(pool, pairsFor(offset, Math.min(chunk_size, count - offset)), amount);
  }
  await pool.query('ANALYZE transfers');
}

async function insertApprovedRows(
  pool: pg.Pool,
  pairs: readonly TransferPair[],
  amount: string,
): Promise<string[]> {
  const ids = pairs.map(() => uuidv7());
  for (let start = 0; start < pairs.length; start += CHUNK_ROWS) {
    const chunk = pairs.slice(start, start + CHUNK_ROWS);
    await pool.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id)
       SELECT id, 'transfer', source, destination, $4::numeric, $5, 'approved', $6
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(id, source, destination)`,
      [
        ids.slice(start, start + CHUNK_ROWS),
        chunk.map((pair) => pair.source),
        chunk.map((pair) => pair.destination),
        amount,
        BENCH_CURRENCY,
        BENCH_CLIENT_ID,
      ],
    );
  }
  return ids;
}

/**
 * Gives `account_id` a history of `entries` posted journal entries (alternately a credit of 1.00 from
 * and a debit of 1.00 to `counterpart_id`), with generate_series, and sets the account's totals and
 * sequence to agree with them. Only the history account's side is written: the reads scenario looks at
 * one account's balance and statement, and the counterpart's 1,000,000 entries would double the setup.
 */
export async function insertAccountHistory(
  pool: pg.Pool,
  account_id: string,
  counterpart_id: string,
  entries: number,
): Promise<void> {
  const seed = randomBytes(8).toString('hex');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Deterministic ids (md5 of seed and position) let the second statement refer to the first one's rows.
    await client.query(
      `INSERT INTO transfers (id, kind, source_account_id, destination_account_id, amount, currency, status, client_id,
                              created_at, updated_at, posted_at)
       SELECT md5($1 || g)::uuid, 'transfer',
              CASE WHEN g % 2 = 1 THEN $3::uuid ELSE $2::uuid END,
              CASE WHEN g % 2 = 1 THEN $2::uuid ELSE $3::uuid END,
              1, $5, 'posted', $6, at, at, at
         FROM generate_series(1, $4::int) AS g, LATERAL (SELECT now() - interval '1 millisecond' * ($4::int - g) AS at) AS t`,
      [seed, account_id, counterpart_id, entries, BENCH_CURRENCY, BENCH_CLIENT_ID],
    );
    await client.query(
      `INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, posted_at)
       SELECT md5('entry' || $1 || g)::uuid, $2::uuid, md5($1 || g)::uuid,
              (CASE WHEN g % 2 = 1 THEN 'credit' ELSE 'debit' END)::entry_direction,
              1, $4, (g % 2)::numeric, g, now() - interval '1 millisecond' * ($3::int - g)
         FROM generate_series(1, $3::int) AS g`,
      [seed, account_id, entries, BENCH_CURRENCY],
    );
    await client.query(
      `UPDATE accounts SET posted_credits = ($2::int + 1) / 2, posted_debits = $2::int / 2, last_entry_sequence = $2::int,
              version = version + 1, updated_at = now()
        WHERE id = $1::uuid`,
      [account_id, entries],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await pool.query('ANALYZE transfers, journal_entries');
}
