-- The ledger worker's stuck-transfer sweep looks for pending holds whose capture or void was asked for
-- and never applied. Open holds may number millions (card authorizations live for days); the ones with
-- a requested action are only those between the request and the engine's next advance. So they get an
-- index of their own, a few rows at any moment, instead of a walk of every open hold.
CREATE INDEX "transfers_hold_action_requested_idx" ON "transfers"("id") WHERE "status" = 'pending' AND "hold_action" IS NOT NULL;
