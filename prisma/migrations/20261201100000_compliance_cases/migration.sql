-- Compliance cases: a transfer (or an atomic batch) that screening held waits here for an officer's
-- decision. Screening opens the case in the same statement that moves the transfer to `held`; the
-- decision closes it in the same statement that moves the transfer on.

CREATE TYPE "compliance_case_status" AS ENUM ('open', 'approved', 'rejected');

CREATE TABLE "compliance_cases" (
    "id" UUID NOT NULL,
    -- The held transfer; for an atomic batch, its first transfer (lowest id), with batch_id set.
    "transfer_id" UUID NOT NULL,
    "batch_id" UUID,
    "status" "compliance_case_status" NOT NULL DEFAULT 'open',
    -- [{ "rule": "...", "detail": "..." }, ...]: why screening held it.
    "hits" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),
    "decided_by" VARCHAR(128),
    "note" VARCHAR(2000),
    CONSTRAINT "compliance_cases_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "compliance_cases_transfer_id_fkey" FOREIGN KEY ("transfer_id") REFERENCES "transfers"("id"),
    CONSTRAINT "compliance_cases_hits_array" CHECK (jsonb_typeof("hits") = 'array' AND jsonb_array_length("hits") > 0),
    -- A decided case names who decided, when, and why; an open one none of these.
    CONSTRAINT "compliance_cases_decision" CHECK (
        ("status" = 'open') = ("decided_at" IS NULL)
        AND ("decided_at" IS NULL) = ("decided_by" IS NULL)
        AND ("decided_at" IS NULL) = ("note" IS NULL))
);
-- One case per held transfer and per held batch: a redelivered screening job cannot open a second.
CREATE UNIQUE INDEX "compliance_cases_transfer_id_key" ON "compliance_cases"("transfer_id");
CREATE UNIQUE INDEX "compliance_cases_batch_id_key" ON "compliance_cases"("batch_id");
-- Keyset pages of the cases in one status (the open ones are the officers' work list).
CREATE INDEX "compliance_cases_status_id_idx" ON "compliance_cases"("status", "id");

-- The smallest UUIDv7 of the given millisecond: every id made at or after `at` compares greater or
-- equal (Postgres compares uuids bytewise, and a v7 id starts with its 48-bit Unix millisecond). The
-- screening rules count a sender's recent transfers through the (account, id) indexes with it, instead of
-- an index on created_at that every accepted transfer would have to maintain.
CREATE FUNCTION "uuidv7_lower_bound"("at" TIMESTAMPTZ) RETURNS UUID
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-0000-0000-000000000000')::uuid
    FROM (SELECT lpad(to_hex(greatest(0, floor(extract(epoch FROM "at") * 1000))::bigint), 12, '0') AS h) AS hex
$$;
