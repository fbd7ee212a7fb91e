-- A reversal the ledger rejected (the receiver had spent the money, an account was frozen) moved
-- nothing back, so the transfer may be reversed again: at most one reversal per transfer among those
-- that were not rejected. The reverse command takes the original's row lock before it looks, so two
-- reversals of one transfer never race past the check; this index is the database's own guard.
DROP INDEX "transfers_reverses_transfer_id_key";
CREATE UNIQUE INDEX "transfers_reverses_transfer_id_key" ON "transfers"("reverses_transfer_id") WHERE "status" <> 'rejected';

-- Lists filtered by status (`GET /v1/transfers?status=`) walk this from the cursor down, newest first,
-- so a page costs the same however deep it is; the ledger worker's sweep of transfers waiting in one
-- status reads it too.
CREATE INDEX "transfers_status_id_idx" ON "transfers"("status", "id");
