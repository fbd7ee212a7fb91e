import { Prisma, sqlArray } from '@ledgerline/db';
import type { NewCase } from './case.types';

/**
 * The INSERT that opens compliance cases, as a statement to embed in the one that holds the transfers,
 * so that a held transfer never exists without its case (and a case never without its hold):
 * `WITH held AS (UPDATE transfers ... RETURNING id), cases AS (${openCasesInsert(cases, sql`SELECT id FROM held`)}) ...`.
 * `held_transfer_ids` is a query of the transfer ids that the same statement moved to `held`; a case
 * whose transfer is not among them is not opened. The unique keys on `transfer_id` and `batch_id` make a
 * repeat (a redelivered screening job) open nothing.
 */
export function openCasesInsert(cases: readonly NewCase[], held_transfer_ids: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO compliance_cases (id, transfer_id, batch_id, hits)
    SELECT c.id, c.transfer_id, c.batch_id, c.hits
    FROM unnest(
      ${sqlArray(cases.map((item) => item.id))}::uuid[],
      ${sqlArray(cases.map((item) => item.transfer_id))}::uuid[],
      ${sqlArray(cases.map((item) => item.batch_id))}::uuid[],
      ${sqlArray(cases.map((item) => JSON.stringify(item.hits)))}::jsonb[]
    ) AS c(id, transfer_id, batch_id, hits)
    WHERE c.transfer_id IN (${held_transfer_ids})
    ON CONFLICT DO NOTHING`;
}
