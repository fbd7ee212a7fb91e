import assert from 'node:assert/strict';
import { createMicroBatcher } from '@ledgerline/batching';
import { sqlArray, type Prisma } from '@ledgerline/db';
import { UUID_PATTERN } from './transfer.validation';

/**
 * What the accepting path needs to know about an account: who owns it and what kind it is. Neither
 * ever changes once the account exists (accounts are never deleted; status and balances, which do
 * change, are not here: the ledger decides those at posting time).
 */
export interface AccountFacts {
  id: string;
  customer_id: string | null;
  kind: 'checking' | 'savings' | 'settlement';
}

export type AccountFactsReader = (ids: readonly string[]) => Promise<Map<string, AccountFacts>>;

/** Enough for every active account of a large test or a busy hour; ~200 bytes each. */
export const ACCOUNT_FACTS_CACHED_MAX = 50_000;

/** Reads account facts in one statement (`db` may be a transaction). Unknown ids are simply absent. */
export async function readAccountFacts(
  db: { $queryRaw: Prisma.TransactionClient['$queryRaw'] },
  ids: readonly string[],
): Promise<Map<string, AccountFacts>> {
  const unique = [...new Set(ids)];
  const rows = await db.$queryRaw<AccountFacts[]>`
    SELECT id::text AS id, customer_id::text AS customer_id, kind::text AS kind
    FROM accounts WHERE id = ANY(${sqlArray(unique)}::uuid[])`;
  return new Map(rows.map((row) => [row.id, row]));
}

/** The most accounts one shared lookup reads; more waiting start the next one. */
const ACCOUNTS_PER_LOOKUP_MAX = 256;

/**
 * A reader whose concurrent lookups share one statement (the platform's micro-batcher, no linger): the
 * accounts every accept of one turn of the event loop needs, and that no cache holds, are read together,
 * instead of a statement (and Prisma's per-statement work) per accept. As fresh as a statement of its own:
 * a lookup joins only a statement that has not started. An id that is not a UUID names no account and
 * is never sent, so it cannot fail the others' statement.
 */
export function sharedAccountFacts(db: {
  $queryRaw: Prisma.TransactionClient['$queryRaw'];
}): AccountFactsReader {
  const lookups = createMicroBatcher<AccountFacts | null>({
    batch_size_max: ACCOUNTS_PER_LOOKUP_MAX,
    linger_ms: 0,
    // A failed read is about the moment (the database unreachable), not about one id.
    split_after: () => false,
    async run(ids) {
      const found = await readAccountFacts(db, ids);
      return ids.map((id) => found.get(id) ?? null);
    },
  });
  return async (ids) => {
    const wanted = [...new Set(ids.map((id) => id.toLowerCase()).filter((id) => UUID_PATTERN.test(id)))];
    const facts = await Promise.all(wanted.map((id) => lookups.submit(id)));
    return new Map(facts.flatMap((found) => (found === null ? [] : [[found.id, found] as const])));
  };
}

/**
 * A reader that remembers the facts of accounts it has found (they never change, so a cached fact is
 * never stale) and reads only the others. Accounts not found are not remembered: one may be opened a
 * moment later. Bounded: past `capacity` the oldest remembered account is forgotten.
 */
export function cachedAccountFacts(
  read: AccountFactsReader,
  capacity: number = ACCOUNT_FACTS_CACHED_MAX,
): AccountFactsReader {
  assert.ok(Number.isInteger(capacity) && capacity > 0);
  const known = new Map<string, AccountFacts>();
  return async (ids) => {
    const found = new Map<string, AccountFacts>();
    const missing: string[] = [];
    for (const id of ids) {
      const facts = known.get(id.toLowerCase());
      if (facts === undefined) missing.push(id);
      else found.set(facts.id, facts);
    }
    if (missing.length === 0) return found;
    for (const facts of (await read(missing)).values()) {
      found.set(facts.id, facts);
      if (known.size >= capacity) {
        const oldest = known.keys().next();
        if (oldest.done !== true) known.delete(oldest.value);
      }
      known.set(facts.id, facts);
    }
    return found;
  };
}
