-- Audit records are chained after they commit, by a sealer, instead of under a global lock at insert.
--
-- Before: a BEFORE INSERT trigger took one advisory lock for every audit insert and held it until the
-- inserting transaction ended, through its commit's WAL flush, so every mutating request of the
-- platform waited for every other one's fsync. Now an insert writes an unsealed record (no chain
-- fields) and takes no lock; `audit_records_seal` later gives committed records, oldest id first,
-- their place in the chain (`chain_position`, gapless from 1), the previous record's hash and their own.
-- Chain order is sealing order: a record that commits late is simply sealed in a later round.
-- The hash is the same function as before, so records sealed by the old trigger verify unchanged.

DROP TRIGGER "audit_records_chain" ON "audit_records";
DROP FUNCTION "audit_records_chain"();

ALTER TABLE "audit_records" ADD COLUMN "chain_position" BIGINT;
ALTER TABLE "audit_records" ALTER COLUMN "prev_hash" DROP NOT NULL;
ALTER TABLE "audit_records" ALTER COLUMN "hash" DROP NOT NULL;

-- Records chained by the old trigger: id order was chain order.
ALTER TABLE "audit_records" DISABLE TRIGGER "audit_records_append_only";
UPDATE "audit_records" SET "chain_position" = numbered."position"
FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS "position" FROM "audit_records") AS numbered
WHERE "audit_records"."id" = numbered."id";
ALTER TABLE "audit_records" ENABLE TRIGGER "audit_records_append_only";

ALTER TABLE "audit_records" ADD CONSTRAINT "audit_records_sealed_whole" CHECK (
    ("chain_position" IS NULL AND "prev_hash" IS NULL AND "hash" IS NULL)
    OR ("chain_position" IS NOT NULL AND "prev_hash" IS NOT NULL AND "hash" IS NOT NULL));
CREATE UNIQUE INDEX "audit_records_chain_position_key" ON "audit_records"("chain_position");
-- The sealer's work list stays small whatever the table's size.
CREATE INDEX "audit_records_unsealed_idx" ON "audit_records"("id") WHERE "chain_position" IS NULL;

-- A record enters unsealed, stamped by the database: nobody inserts a ready-made link of the chain.
CREATE FUNCTION "audit_records_unsealed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."chain_position" := NULL;
    NEW."prev_hash" := NULL;
    NEW."hash" := NULL;
    NEW."occurred_at" := date_trunc('milliseconds', clock_timestamp());
    RETURN NEW;
END;
$$;
CREATE TRIGGER "audit_records_unsealed" BEFORE INSERT ON "audit_records"
    FOR EACH ROW EXECUTE FUNCTION "audit_records_unsealed"();

-- Still append-only: the one change allowed is sealing an unsealed record, which sets the three chain
-- fields and nothing else.
DROP TRIGGER "audit_records_append_only" ON "audit_records";
CREATE FUNCTION "audit_records_seal_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD."chain_position" IS NULL AND NEW."chain_position" IS NOT NULL
       AND NEW."id" = OLD."id" AND NEW."occurred_at" = OLD."occurred_at" AND NEW."actor" = OLD."actor"
       AND NEW."role" = OLD."role" AND NEW."action" = OLD."action" AND NEW."resource" = OLD."resource"
       AND NEW."request_id" = OLD."request_id" AND NEW."outcome" = OLD."outcome" THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on % is forbidden: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_records_append_only" BEFORE UPDATE OR DELETE ON "audit_records"
    FOR EACH ROW EXECUTE FUNCTION "audit_records_seal_only"();

-- Seals up to `batch_max` committed unsealed records and returns how many it sealed. One sealer at a
-- time across every process (the advisory lock); a second caller returns 0 at once instead of waiting.
CREATE FUNCTION "audit_records_seal"(batch_max INTEGER) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    last_position BIGINT;
    last_hash TEXT;
    previous_hash TEXT;
    sealed INTEGER := 0;
    unsealed RECORD;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7383902371) THEN
        RETURN 0;
    END IF;
    SELECT "chain_position", "hash" INTO last_position, last_hash
    FROM "audit_records" WHERE "chain_position" IS NOT NULL ORDER BY "chain_position" DESC LIMIT 1;
    last_position := coalesce(last_position, 0);
    last_hash := coalesce(last_hash, repeat('0', 64));
    FOR unsealed IN
        SELECT * FROM "audit_records" WHERE "chain_position" IS NULL ORDER BY "id" LIMIT batch_max
    LOOP
        last_position := last_position + 1;
        previous_hash := last_hash;
        last_hash := "audit_record_hash"(previous_hash, unsealed."id", unsealed."occurred_at", unsealed."actor",
            unsealed."role", unsealed."action", unsealed."resource", unsealed."request_id", unsealed."outcome");
        UPDATE "audit_records"
        SET "chain_position" = last_position,
            "prev_hash" = previous_hash,
            "hash" = last_hash
        WHERE "id" = unsealed."id";
        sealed := sealed + 1;
    END LOOP;
    RETURN sealed;
END;
$$;

-- Outbox relays poll instead of being woken by NOTIFY. A notifying transaction takes a database-wide
-- lock at commit and holds it through its WAL flush: every accepting transaction committed in single
-- file behind it, and group commit could not batch their flushes.
DROP TRIGGER "outbox_messages_notify" ON "outbox_messages";
DROP FUNCTION "outbox_messages_notify"();
