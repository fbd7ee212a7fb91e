-- A transfer's way through screening (received -> screening -> approved) changes only its status. While
-- `status` was indexed (the (status, id) index, and the predicates of three partial indexes), none of
-- those updates could be HOT: each wrote a new row version on another page and an entry in every index,
-- and left dead entries for vacuum. The indexes now name the transfer's *phase* instead, a generated
-- column that folds the three statuses of a transfer in flight into one value, so a status change inside
-- that phase touches no indexed column and Postgres keeps it on the row's page (a HOT update). Only the
-- changes that leave the phase (to held, pending or a final status) write index entries.
--
-- Queries on a status say `phase = transfer_phase(status)` beside `status = ...` to reach these indexes
-- (the planner cannot see through the generated column by itself). The function is the one place the
-- mapping is written, with literals (an enum's text cast is only stable), so that it is immutable and
-- the generated column can be computed by it.
CREATE FUNCTION "transfer_phase"("status" "transfer_status") RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE "status"
    WHEN 'received' THEN 'in_flight' WHEN 'screening' THEN 'in_flight' WHEN 'approved' THEN 'in_flight'
    WHEN 'held' THEN 'held' WHEN 'pending' THEN 'pending'
    WHEN 'posted' THEN 'posted' WHEN 'rejected' THEN 'rejected' WHEN 'voided' THEN 'voided'
  END;

-- A HOT update needs room on the row's own page: inserts leave a fifth of each page free for the two
-- updates of the screening phase (pruning reclaims the dead versions once no snapshot needs them).
-- Set before the column is added, whose table rewrite then packs the existing rows the same way.
ALTER TABLE "transfers" SET (fillfactor = 80);

ALTER TABLE "transfers" ADD COLUMN "phase" text NOT NULL GENERATED ALWAYS AS ("transfer_phase"("status")) STORED;

DROP INDEX "transfers_status_id_idx";
CREATE INDEX "transfers_phase_id_idx" ON "transfers"("phase", "id");

DROP INDEX "transfers_pending_hold_expiry";
CREATE INDEX "transfers_pending_hold_expiry" ON "transfers"("hold_expires_at") WHERE "phase" = 'pending';

DROP INDEX "transfers_hold_action_requested_idx";
CREATE INDEX "transfers_hold_action_requested_idx" ON "transfers"("id") WHERE "phase" = 'pending' AND "hold_action" IS NOT NULL;

DROP INDEX "transfers_reverses_transfer_id_key";
CREATE UNIQUE INDEX "transfers_reverses_transfer_id_key" ON "transfers"("reverses_transfer_id")
  WHERE "reverses_transfer_id" IS NOT NULL AND "phase" <> 'rejected';
