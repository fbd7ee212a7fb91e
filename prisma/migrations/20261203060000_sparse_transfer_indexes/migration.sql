-- Every status change of a transfer (received -> screening -> approved -> posted) writes a new row
-- version with an entry in every index whose predicate the row meets: `status` is indexed, so none of
-- these updates can be HOT. Two indexes held an entry for every transfer although almost none have a
-- value there: `batch_id` (only transfers submitted in a batch) and `reverses_transfer_id` (only
-- reversals). Both become partial on the column being set, so an ordinary transfer writes four index
-- entries fewer per row version, sixteen over its life. Every query on either column compares it with
-- `=`, which implies IS NOT NULL, so the planner still uses them; uniqueness among reversals that were
-- not rejected is unchanged (NULLs never conflicted).
DROP INDEX "transfers_batch_id_idx";
CREATE INDEX "transfers_batch_id_idx" ON "transfers"("batch_id") WHERE "batch_id" IS NOT NULL;

DROP INDEX "transfers_reverses_transfer_id_key";
CREATE UNIQUE INDEX "transfers_reverses_transfer_id_key" ON "transfers"("reverses_transfer_id")
  WHERE "reverses_transfer_id" IS NOT NULL AND "status" <> 'rejected';
