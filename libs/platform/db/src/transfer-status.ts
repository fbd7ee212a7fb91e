import { Prisma } from './generated/client';

// No index of `transfers` names `status`, so that screening's status changes stay HOT updates (migration
// `hot_status_changes`). The indexes name the generated column `phase` (`transfer_phase(status)`) instead,
// and the planner cannot see through a generated column by itself: a condition on a status reaches them
// only with the matching phase condition beside it. These write both, so no query forgets the phase.

/**
 * `status = <status>` in the form the transfers indexes serve. `status` is SQL of type `transfer_status`:
 * a bound parameter, or a literal where a generic plan must match a partial index (the literal then folds
 * through the immutable `transfer_phase`).
 */
export function transferStatusIs(status: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`phase = transfer_phase(${status}) AND status = ${status}`;
}

/** `status = ANY(<statuses>)` in the form the transfers indexes serve; `statuses` is SQL of type `transfer_status[]`. */
export function transferStatusIn(statuses: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`phase = ANY(ARRAY(SELECT transfer_phase(s) FROM unnest(${statuses}) AS s)) AND status = ANY(${statuses})`;
}
