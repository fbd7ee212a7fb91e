import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { HttpRequestSpec } from './http-send';
import { BENCH_CLIENT_ID, BENCH_CURRENCY, type TransferPair } from './seed';

/** `POST /v1/transfers` for one pair, with a fresh Idempotency-Key. */
export function transferRequest(pair: TransferPair, authorization: string): HttpRequestSpec {
  return {
    method: 'POST',
    path: '/v1/transfers',
    headers: { authorization, 'content-type': 'application/json', 'idempotency-key': uuidv7() },
    body: JSON.stringify({
      source_account_id: pair.source,
      destination_account_id: pair.destination,
      amount: '1.00',
      currency: BENCH_CURRENCY,
    }),
  };
}

/** Keeps the id of every 202 answer. */
export function acceptedIdCollector(): {
  ids: string[];
  onResponse(index: number, status: number, body: string): void;
} {
  const ids: string[] = [];
  return {
    ids,
    onResponse(_index, status, body) {
      if (status === 202) ids.push((JSON.parse(body) as { id: string }).id);
    },
  };
}

/** The statuses a transfer never leaves, as an SQL list for `status IN ...`. */
export const FINAL_STATUSES = "('posted', 'rejected', 'voided')";
const ID_CHUNK = 10_000;

/** How many of `ids` have reached a final status. */
export async function countFinal(pool: pg.Pool, ids: readonly string[]): Promise<number> {
  let final = 0;
  for (let start = 0; start < ids.length; start += ID_CHUNK) {
    const { rows } = await pool.query<{ final: string }>(
      `SELECT count(*) AS final FROM transfers WHERE id = ANY($1::uuid[]) AND status IN ${FINAL_STATUSES}`,
      [ids.slice(start, start + ID_CHUNK)],
    );
    final += Number(rows[0]?.final ?? 0);
  }
  return final;
}

/** Polls until every id is final or the deadline passes; returns how many were final. */
export async function waitForFinal(
  pool: pg.Pool,
  ids: readonly string[],
  deadline_s: number,
  onProgress?: (final: number) => void,
): Promise<number> {
  const deadline = Date.now() + deadline_s * 1_000;
  for (;;) {
    const final = await countFinal(pool, ids);
    onProgress?.(final);
    if (final >= ids.length || Date.now() > deadline) return final;
    await sleep(250);
  }
}

/**
 * Waits until the platform is idle: no transfer accepted through the API short of a final status and
 * no new one for a second. Requests a client gave up on (a timeout) may still be worked on behind the gateway; this
 * keeps that leftover work from slowing the next measurement. Returns false at the deadline.
 */
export async function waitForQuiet(pool: pg.Pool, deadline_s: number): Promise<boolean> {
  const deadline = Date.now() + deadline_s * 1_000;
  let previous_total = -1;
  let quiet_polls = 0;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ total: string; open: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE status NOT IN ${FINAL_STATUSES}) AS open
         FROM transfers WHERE client_id <> $1`,
      [BENCH_CLIENT_ID],
    );
    const total = Number(rows[0]?.total ?? 0);
    quiet_polls = Number(rows[0]?.open ?? 0) === 0 && total === previous_total ? quiet_polls + 1 : 0;
    if (quiet_polls >= 2) return true;
    previous_total = total;
    await sleep(500);
  }
  return false;
}

export interface PostingStats {
  transfers: number;
  posted: number;
  statuses: Record<string, number>;
  /** From the first transfer's creation to the last one's posting. */
  span_s: number;
  posted_per_second: number;
  accept_to_posted_p50_ms: number;
  accept_to_posted_p99_ms: number;
  accept_to_posted_max_ms: number;
}

/**
 * Accept-to-posted latency (created_at to posted_at, stamped by transactions-api and the ledger worker
 * on this machine's one clock) and throughput of `ids`.
 */
export async function postingStats(pool: pg.Pool, ids: readonly string[]): Promise<PostingStats> {
  const { rows } = await pool.query<{ status: string; count: string }>(
    'SELECT status::text AS status, count(*) AS count FROM transfers WHERE id = ANY($1::uuid[]) GROUP BY status',
    [ids],
  );
  const statuses = Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  const {
    rows: [stats],
  } = await pool.query<{
    first_created_ms: number | null;
    last_posted_ms: number | null;
    p50: number | null;
    p99: number | null;
    max: number | null;
  }>(
    `WITH posted AS (
       SELECT created_at, posted_at, extract(epoch FROM posted_at - created_at) * 1000 AS ms
         FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'posted')
     SELECT extract(epoch FROM min(created_at)) * 1000 AS first_created_ms, extract(epoch FROM max(posted_at)) * 1000 AS last_posted_ms,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
       FROM posted`,
    [ids],
  );
  const posted = statuses['posted'] ?? 0;
  const span_s =
    stats?.first_created_ms != null && stats.last_posted_ms != null
      ? (Number(stats.last_posted_ms) - Number(stats.first_created_ms)) / 1_000
      : Number.NaN;
  return {
    transfers: ids.length,
    posted,
    statuses,
    span_s,
    posted_per_second: span_s > 0 ? posted / span_s : Number.NaN,
    accept_to_posted_p50_ms: Number(stats?.p50 ?? Number.NaN),
    accept_to_posted_p99_ms: Number(stats?.p99 ?? Number.NaN),
    accept_to_posted_max_ms: Number(stats?.max ?? Number.NaN),
  };
}
