import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';

/**
 * Rows for tests of transfers (this library's and its apps'), written with SQL so they need no other
 * service. The customer's personal data columns hold random bytes: nothing here reads them.
 */
export async function seedCustomer(pool: pg.Pool): Promise<string> {
  const id = uuidv7();
  await pool.query(
    `INSERT INTO customers (id, full_name_ciphertext, wrapped_data_key, key_id, country) VALUES ($1, $2, $3, 'test', 'US')`,
    [id, randomBytes(16), randomBytes(16)],
  );
  return id;
}

export async function seedAccount(
  pool: pg.Pool,
  options: {
    customer_id: string;
    currency?: string;
    status?: 'active' | 'frozen' | 'closed';
    posted_credits?: string;
  },
): Promise<string> {
  const id = uuidv7();
  await pool.query(
    `INSERT INTO accounts (id, customer_id, currency, status, posted_credits)
     VALUES ($1, $2, $3, $4::account_status, $5::numeric)`,
    [
      id,
      options.customer_id,
      options.currency ?? 'USD',
      options.status ?? 'active',
      options.posted_credits ?? '0',
    ],
  );
  return id;
}

/** Row counts of everything accepting a request writes, to prove refusals write nothing. */
export async function writtenRows(
  pool: pg.Pool,
): Promise<{ transfers: number; outbox: number; idempotency: number; batches: number }> {
  const { rows } = await pool.query<{
    transfers: number;
    outbox: number;
    idempotency: number;
    batches: number;
  }>(`
    SELECT (SELECT count(*) FROM transfers)::int AS transfers,
           (SELECT count(*) FROM outbox_messages)::int AS outbox,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency,
           (SELECT count(*) FROM transfer_batches)::int AS batches`);
  const [counts] = rows;
  if (counts === undefined) throw new Error('count query returned no row');
  return counts;
}

/** Moves a transfer as the workers would, for tests of what comes after. */
export async function forceStatus(
  pool: pg.Pool,
  transfer_id: string,
  status: 'approved' | 'pending' | 'posted' | 'rejected' | 'voided',
  extra: { captured_amount?: string } = {},
): Promise<void> {
  await pool.query(
    `UPDATE transfers SET status = $2::text::transfer_status, posted_at = CASE WHEN $2::text = 'posted' THEN now() END,
       captured_amount = $3::numeric, updated_at = now() WHERE id = $1`,
    [transfer_id, status, extra.captured_amount ?? null],
  );
}
