-- `audit_records_seal` wrote each record it sealed with its own UPDATE statement: one executor start-up
-- per record, which was most of the sealer's cost (about 0.09 of 0.15 ms per record, every accepted
-- request has one). The hash chain is still computed one record at a time, oldest id first (each hash
-- needs the previous one); the chain fields are then written by one UPDATE for the whole batch. Same
-- chain, same hash function, same advisory lock: records sealed before this migration verify unchanged.
CREATE OR REPLACE FUNCTION "audit_records_seal"(batch_max INTEGER) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    last_position BIGINT;
    last_hash TEXT;
    ids BIGINT[] := '{}';
    positions BIGINT[] := '{}';
    previous_hashes TEXT[] := '{}';
    hashes TEXT[] := '{}';
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
        -- array_append on the variable itself appends in place (plpgsql keeps it as an expanded array).
        ids := array_append(ids, unsealed."id");
        positions := array_append(positions, last_position);
        previous_hashes := array_append(previous_hashes, last_hash);
        last_hash := "audit_record_hash"(last_hash, unsealed."id", unsealed."occurred_at", unsealed."actor",
            unsealed."role", unsealed."action", unsealed."resource", unsealed."request_id", unsealed."outcome");
        hashes := array_append(hashes, last_hash);
    END LOOP;
    IF cardinality(ids) = 0 THEN
        RETURN 0;
    END IF;
    -- `id = ANY(ids)` lets the planner reach the records through the primary key whatever the table's size.
    UPDATE "audit_records" AS a
    SET "chain_position" = s."position",
        "prev_hash" = s."prev_hash",
        "hash" = s."hash"
    FROM unnest(ids, positions, previous_hashes, hashes) AS s("id", "position", "prev_hash", "hash")
    WHERE a."id" = ANY(ids) AND a."id" = s."id";
    RETURN cardinality(ids);
END;
$$;
