import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { positionsArray, Prisma, rowsColumn, type StatementRow } from '@ledgerline/db';

/** The contract keeps keys at least 24 h; a shorter setting would break that promise, so it is refused. */
export const IDEMPOTENCY_TTL_SECONDS_MIN = 24 * 60 * 60;

/** What a client sent, as far as the request hash is concerned. */
export interface IdempotentRequest {
  method: string;
  /** The request path without the query string, e.g. `/v1/transfers/<id>/capture`. */
  path: string;
  /** The parsed JSON body (absent bodies hash as `null`). */
  body: unknown;
}

/** A response exactly as it leaves the service; stored once, replayed byte for byte. */
export interface StoredResponse {
  status: number;
  /** The JSON body as the string that was sent. */
  body: string;
  /** Extra response headers to replay (today only `location`), lower-case names. */
  headers: Record<string, string>;
}

/**
 * JSON with object keys sorted at every depth, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same
 * request. Arrays keep their order because order is meaning (batch items). `undefined` members are
 * dropped, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') {
    assert.notEqual(typeof value, 'bigint', 'canonicalJson: a bigint is not JSON');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return `{${entries.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`;
}

/** SHA-256 (hex) of method, path and canonical body: equal hashes mean "the same request". */
export function requestHash(request: IdempotentRequest): string {
  return createHash('sha256')
    .update(`${request.method.toUpperCase()}\n${request.path}\n${canonicalJson(request.body)}`)
    .digest('hex');
}

/**
 * The advisory lock id for (client, key): the first 64 bits of SHA-256 over both, as a signed bigint
 * (Postgres' `bigint`). The unit separator keeps ("ab", "c") and ("a", "bc") apart.
 */
export function advisoryLockKey(client_id: string, key: string): bigint {
  const digest = createHash('sha256').update(`idempotency\u001f${client_id}\u001f${key}`).digest();
  return digest.readBigInt64BE(0);
}

/** The outcome of `work` under an idempotency key: a response to store, or a refusal that stores nothing. */
export type WorkResult<F> = { ok: true; response: StoredResponse } | { ok: false; failure: F };

export type IdempotencyOutcome<F> =
  | { ok: true; response: StoredResponse; replayed: boolean }
  | { ok: false; failure: F }
  | { ok: false; conflict: 'idempotency_request_in_progress' | 'idempotency_key_reused' };

export interface IdempotencyScope {
  client_id: string;
  key: string;
  request_hash: string;
  ttl_seconds: number;
  /** A statement to run with the stored response, in the same round trip (e.g. the audit record). */
  alongside?: ((response: StoredResponse) => Prisma.Sql) | undefined;
}

/** An idempotency row as the lookups read it. */
interface StoredRow {
  request_hash: string;
  response_status: number;
  response_body: string;
  response_headers: Record<string, string>;
}

/** A live stored row answers the request: replayed when it is the same request, refused when not. */
function replayOf<F>(stored: StoredRow, request_hash: string): IdempotencyOutcome<F> {
  if (stored.request_hash !== request_hash) return { ok: false, conflict: 'idempotency_key_reused' };
  return {
    ok: true,
    replayed: true,
    response: {
      status: stored.response_status,
      body: stored.response_body,
      headers: stored.response_headers,
    },
  };
}

/**
 * Runs `work` at most once per (client, key) inside the caller's transaction `tx`.
 *
 * Exactly once comes from three things held together by the one transaction:
 * - `pg_try_advisory_xact_lock` on the (client, key) hash: a second request with the same key while the
 *   first is still running does not wait (it could only replay or fail afterwards) but answers 409 at
 *   once. The lock is released by commit or rollback, never leaked.
 * - The lookup runs after the lock, in a later statement, so under READ COMMITTED it sees any row a
 *   finished holder of the same lock committed: a retry after success always replays.
 * - The idempotency row is inserted by the same transaction as the work's rows, so either both exist
 *   or neither does: a crash before commit leaves nothing and a retry simply does the work again.
 *
 * A refusal from `work` is returned as is; the caller must roll the transaction back (see
 * `TransferService`), so refused requests leave no idempotency row and can be corrected and retried.
 */
export async function runIdempotent<F>(
  tx: Prisma.TransactionClient,
  scope: IdempotencyScope,
  work: () => Promise<WorkResult<F>>,
): Promise<IdempotencyOutcome<F>> {
  assert.ok(scope.ttl_seconds >= IDEMPOTENCY_TTL_SECONDS_MIN, 'idempotency keys must be kept at least 24 h');
  const lockKey = advisoryLockKey(scope.client_id, scope.key).toString();
  const [lock] = await tx.$queryRaw<Array<{ acquired: boolean }>>`
    SELECT pg_try_advisory_xact_lock(${lockKey}::bigint) AS acquired`;
  if (!lock?.acquired) return { ok: false, conflict: 'idempotency_request_in_progress' };

  // An expired record no longer guards anything: it is dropped under the lock, so the key can be reused.
  // One statement does both (a round trip saved on every money-moving request); the SELECT sees the
  // statement's snapshot, which still holds the row being deleted, hence its own expiry condition.
  const [stored] = await tx.$queryRaw<StoredRow[]>`
    WITH expired AS (
      DELETE FROM idempotency_keys
      WHERE client_id = ${scope.client_id} AND key = ${scope.key} AND expires_at <= now())
    SELECT request_hash, response_status, response_body, response_headers
    FROM idempotency_keys
    WHERE client_id = ${scope.client_id} AND key = ${scope.key} AND expires_at > now()`;
  if (stored !== undefined) return replayOf(stored, scope.request_hash);

  const result = await work();
  if (!result.ok) return result;
  const { response } = result;
  const alongside =
    scope.alongside === undefined
      ? Prisma.empty
      : Prisma.sql`WITH alongside AS (${scope.alongside(response)})`;
  await tx.$executeRaw`
    ${alongside}
    INSERT INTO idempotency_keys (client_id, key, request_hash, response_status, response_body, response_headers, expires_at)
    VALUES (${scope.client_id}, ${scope.key}, ${scope.request_hash}, ${response.status}, ${response.body},
            ${JSON.stringify(response.headers)}::jsonb, now() + make_interval(secs => ${scope.ttl_seconds}))`;
  return { ok: true, replayed: false, response };
}

/** What `runIdempotentStatements` needs to run a statement's writes (any `$queryRaw` client, no transaction). */
export interface RawQueryClient {
  $queryRaw: Prisma.TransactionClient['$queryRaw'];
}

/** One request for {@link runIdempotentStatements}: its key, its response, and the rows of its work. */
export interface IdempotentStatement<W> {
  scope: Omit<IdempotencyScope, 'alongside'>;
  /** Rendered before the work, from values the caller chose itself (it is stored as the key's response). */
  response: StoredResponse;
  /** What the statement's `writes` write for this request when it claims the key. */
  work: W;
}

/**
 * The work of every request of a statement as data-modifying CTEs of fixed text (one INSERT per table over
 * unnested array columns, see `StatementRow`), each writing only the rows of the requests whose position is
 * in `claimed`, a subquery of the positions whose key this statement claimed: `WHERE x.request_position IN
 * ${claimed}`.
 */
export type StatementWrites<W> = (
  works: ReadonlyArray<StatementRow<W>>,
  claimed: Prisma.Sql,
) => readonly Prisma.Sql[];

/**
 * Does requests' work in ONE statement, outside any interactive transaction, with the same exactly-once
 * promise as {@link runIdempotent}: each response is known before its work, so the statement claims each
 * key by inserting its stored response, and the work's rows are written by data-modifying CTEs only for
 * the requests whose key this statement claimed. One round trip, one implicit transaction for all of
 * them: either every claimed key, its work and its response commit, or nothing does (the caller may then
 * run each request alone; a retry after a commit it did not see finds its key and replays).
 *
 * The statement's text is the same whatever the number of requests (each column is one array), so
 * Postgres parses and plans a few CTEs, not five per request: a statement of 32 accepts took 14 ms of
 * Postgres time written out request by request (6 of them planning) and 2 ms this way.
 *
 * Per request, as for one request alone:
 * - The same `pg_try_advisory_xact_lock` as {@link runIdempotent} is taken first, in a MATERIALIZED CTE
 *   (evaluated once per request, each row before the insert reads it), so a request with the same key
 *   running on either path makes this one answer `idempotency_request_in_progress` instead of racing it.
 * - The insert's ON CONFLICT sees the latest committed row even when the statement's snapshot is older:
 *   a request that committed between our snapshot and our lock is found, never done twice.
 * - An expired row is replaced in place (DO UPDATE ... WHERE expired), as the other path deletes it.
 * - A live row means the key was used: it is read in a second statement (a new snapshot that sees it)
 *   and replayed, or refused when the request differs.
 * Two requests with the same (client, key) never share a statement (advisory locks are re-entrant within
 * a transaction, so both would claim; and one INSERT ... ON CONFLICT cannot touch a row twice): the later
 * one answers `idempotency_request_in_progress`, as it would if the earlier one held the lock in another
 * statement.
 *
 * Answers one outcome per request, in order; `undefined` in the rare case that a live row vanished before
 * it could be read (purged at expiry): the caller simply runs that request again.
 */
export async function runIdempotentStatements<F, W>(
  db: RawQueryClient,
  requests: ReadonlyArray<IdempotentStatement<W>>,
  writes: StatementWrites<W>,
): Promise<Array<IdempotencyOutcome<F> | undefined>> {
  const outcomes = new Array<IdempotencyOutcome<F> | undefined>(requests.length);
  const keysInStatement = new Set<string>();
  const included: Array<StatementRow<IdempotentStatement<W> & { lock_key: string }>> = [];
  requests.forEach((request, position) => {
    assert.ok(
      request.scope.ttl_seconds >= IDEMPOTENCY_TTL_SECONDS_MIN,
      'idempotency keys must be kept at least 24 h',
    );
    const lock_key = advisoryLockKey(request.scope.client_id, request.scope.key).toString();
    if (keysInStatement.has(lock_key)) {
      outcomes[position] = { ok: false, conflict: 'idempotency_request_in_progress' };
      return;
    }
    keysInStatement.add(lock_key);
    included.push({ position, row: { ...request, lock_key } });
  });
  if (included.length === 0) return outcomes;
  const column = (value: (request: (typeof included)[number]['row']) => string) =>
    rowsColumn(included, value);
  const work = writes(
    included.map(({ position, row }) => ({ position, row: row.work })),
    Prisma.sql`(SELECT position FROM claimed)`,
  );
  const rows = await db.$queryRaw<Array<{ position: number; acquired: boolean; claimed: boolean }>>`
    WITH requests AS MATERIALIZED (
      SELECT r.position, r.client_id, r.key, r.request_hash, r.response_status, r.response_body, r.response_headers,
             r.ttl_seconds, pg_try_advisory_xact_lock(r.lock_key) AS acquired
      FROM unnest(${positionsArray(included)}::integer[], ${column((request) => request.lock_key)}::bigint[],
                  ${column((request) => request.scope.client_id)}::text[], ${column((request) => request.scope.key)}::text[],
                  ${column((request) => request.scope.request_hash)}::text[],
                  ${column((request) => String(request.response.status))}::integer[],
                  ${column((request) => request.response.body)}::text[],
                  ${column((request) => JSON.stringify(request.response.headers))}::jsonb[],
                  ${column((request) => String(request.scope.ttl_seconds))}::integer[])
        AS r(position, lock_key, client_id, key, request_hash, response_status, response_body, response_headers, ttl_seconds)
    ),
    keys_claimed AS (
      INSERT INTO idempotency_keys AS k
        (client_id, key, request_hash, response_status, response_body, response_headers, expires_at)
      SELECT client_id, key, request_hash, response_status, response_body, response_headers,
             now() + make_interval(secs => ttl_seconds)
      FROM requests WHERE acquired
      ON CONFLICT (client_id, key) DO UPDATE
        SET request_hash = excluded.request_hash, response_status = excluded.response_status,
            response_body = excluded.response_body, response_headers = excluded.response_headers,
            created_at = now(), expires_at = excluded.expires_at
        WHERE k.expires_at <= now()
      RETURNING k.client_id, k.key),
    claimed AS (SELECT requests.position FROM requests JOIN keys_claimed USING (client_id, key))
    ${
      work.length === 0
        ? Prisma.empty
        : Prisma.join(
            work.map((write, index) => Prisma.sql`, ${Prisma.raw(`work_${index}`)} AS (${write})`),
            '',
          )
    }
    SELECT requests.position, requests.acquired,
           EXISTS (SELECT FROM claimed WHERE claimed.position = requests.position) AS claimed
    FROM requests`;
  assert.equal(rows.length, included.length);
  for (const { position, acquired, claimed } of rows) {
    const request = requests[position];
    assert.ok(request !== undefined && outcomes[position] === undefined);
    if (!acquired) outcomes[position] = { ok: false, conflict: 'idempotency_request_in_progress' };
    else if (claimed) outcomes[position] = { ok: true, replayed: false, response: request.response };
    else outcomes[position] = await replayStored(db, request.scope);
  }
  return outcomes;
}

/** The live row of a key another request used, replayed or refused; `undefined` when it is gone. */
async function replayStored<F>(
  db: RawQueryClient,
  scope: Omit<IdempotencyScope, 'alongside'>,
): Promise<IdempotencyOutcome<F> | undefined> {
  const [stored] = await db.$queryRaw<StoredRow[]>`
    SELECT request_hash, response_status, response_body, response_headers
    FROM idempotency_keys
    WHERE client_id = ${scope.client_id} AND key = ${scope.key} AND expires_at > now()`;
  return stored === undefined ? undefined : replayOf(stored, scope.request_hash);
}

/**
 * Deletes up to `batch_size_max` expired idempotency records, oldest first, and returns how many went.
 * Bounded so that a sweeper call never holds locks for long; call it repeatedly until it returns 0.
 */
export async function purgeExpiredIdempotencyKeys(
  db: { $executeRaw: Prisma.TransactionClient['$executeRaw'] },
  batch_size_max = 1000,
): Promise<number> {
  assert.ok(Number.isInteger(batch_size_max) && batch_size_max > 0 && batch_size_max <= 100_000);
  return db.$executeRaw`
    DELETE FROM idempotency_keys
    WHERE (client_id, key) IN (
      SELECT client_id, key FROM idempotency_keys
      WHERE expires_at <= now()
      ORDER BY expires_at
      LIMIT ${batch_size_max}
      FOR UPDATE SKIP LOCKED)`;
}
