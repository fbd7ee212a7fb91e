-- Ledgerline initial schema. Kept in Prisma's migration format so `prisma migrate deploy` works
-- where the schema engine is available; here the project's migrator applies it.

CREATE TYPE "role" AS ENUM ('customer', 'service', 'operator', 'compliance', 'admin');
CREATE TYPE "sanctions_status" AS ENUM ('clear', 'potential_match', 'confirmed_match');
CREATE TYPE "account_kind" AS ENUM ('checking', 'savings', 'settlement');
CREATE TYPE "account_status" AS ENUM ('active', 'frozen', 'closed');
CREATE TYPE "transfer_kind" AS ENUM ('transfer', 'deposit', 'withdrawal', 'reversal');
CREATE TYPE "transfer_status" AS ENUM ('received', 'screening', 'held', 'approved', 'pending', 'posted', 'rejected', 'voided');
CREATE TYPE "hold_action" AS ENUM ('capture', 'void');
CREATE TYPE "entry_direction" AS ENUM ('debit', 'credit');

CREATE TABLE "api_clients" (
    "id" UUID NOT NULL,
    "client_id" VARCHAR(128) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "role" "role" NOT NULL,
    "customer_id" UUID,
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabled_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_clients_pkey" PRIMARY KEY ("id"),
    -- A customer client is always bound to one customer; no other role is.
    CONSTRAINT "api_clients_customer_binding" CHECK (("role" = 'customer') = ("customer_id" IS NOT NULL))
);
CREATE UNIQUE INDEX "api_clients_client_id_key" ON "api_clients"("client_id");

CREATE TABLE "customers" (
    "id" UUID NOT NULL,
    "full_name_ciphertext" BYTEA NOT NULL,
    "email_ciphertext" BYTEA,
    "date_of_birth_ciphertext" BYTEA,
    "wrapped_data_key" BYTEA NOT NULL,
    "key_id" VARCHAR(64) NOT NULL,
    "country" CHAR(2) NOT NULL,
    "sanctions_status" "sanctions_status" NOT NULL DEFAULT 'clear',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "customers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "customers_country_format" CHECK ("country" ~ '^[A-Z]{2}$')
);

CREATE TABLE "accounts" (
    "id" UUID NOT NULL,
    "customer_id" UUID,
    "currency" CHAR(3) NOT NULL,
    "kind" "account_kind" NOT NULL DEFAULT 'checking',
    "status" "account_status" NOT NULL DEFAULT 'active',
    "overdraft_limit" DECIMAL(38,4) NOT NULL DEFAULT 0,
    "posted_debits" DECIMAL(38,4) NOT NULL DEFAULT 0,
    "posted_credits" DECIMAL(38,4) NOT NULL DEFAULT 0,
    "pending_debits" DECIMAL(38,4) NOT NULL DEFAULT 0,
    "pending_credits" DECIMAL(38,4) NOT NULL DEFAULT 0,
    "version" BIGINT NOT NULL DEFAULT 1,
    "last_entry_sequence" BIGINT NOT NULL DEFAULT 0,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "accounts_currency_format" CHECK ("currency" ~ '^[A-Z]{3}$'),
    CONSTRAINT "accounts_overdraft_non_negative" CHECK ("overdraft_limit" >= 0),
    CONSTRAINT "accounts_totals_non_negative" CHECK (
        "posted_debits" >= 0 AND "posted_credits" >= 0 AND "pending_debits" >= 0 AND "pending_credits" >= 0),
    -- Only the settlement account (the outside world) may have no owner, and it alone may go negative.
    CONSTRAINT "accounts_owner" CHECK (("kind" = 'settlement') = ("customer_id" IS NULL)),
    CONSTRAINT "accounts_within_overdraft" CHECK (
        "kind" = 'settlement'
        OR "posted_credits" - "posted_debits" - "pending_debits" + "overdraft_limit" >= 0)
);
CREATE INDEX "accounts_customer_id_id_idx" ON "accounts"("customer_id", "id");
-- Keyset pages of accounts filtered by status alone (e.g. every frozen account) seek instead of scan.
CREATE INDEX "accounts_status_id_idx" ON "accounts"("status", "id");
-- One settlement account per currency, created on demand.
CREATE UNIQUE INDEX "accounts_settlement_per_currency" ON "accounts"("currency") WHERE "kind" = 'settlement';

CREATE TABLE "transfers" (
    "id" UUID NOT NULL,
    "kind" "transfer_kind" NOT NULL,
    "source_account_id" UUID NOT NULL,
    "destination_account_id" UUID NOT NULL,
    "amount" DECIMAL(22,4) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "transfer_status" NOT NULL DEFAULT 'received',
    "status_reason" VARCHAR(64),
    "description" VARCHAR(500),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "hold" BOOLEAN NOT NULL DEFAULT false,
    "hold_expires_at" TIMESTAMPTZ(3),
    "hold_action" "hold_action",
    "hold_action_amount" DECIMAL(22,4),
    "captured_amount" DECIMAL(22,4),
    "reverses_transfer_id" UUID,
    "batch_id" UUID,
    "client_id" VARCHAR(128) NOT NULL,
    "request_id" VARCHAR(128),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "posted_at" TIMESTAMPTZ(3),
    CONSTRAINT "transfers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "transfers_amount_positive" CHECK ("amount" > 0),
    CONSTRAINT "transfers_distinct_accounts" CHECK ("source_account_id" <> "destination_account_id"),
    CONSTRAINT "transfers_hold_action_amount_positive" CHECK ("hold_action_amount" IS NULL OR ("hold_action_amount" > 0 AND "hold_action_amount" <= "amount")),
    CONSTRAINT "transfers_captured_within_amount" CHECK ("captured_amount" IS NULL OR ("captured_amount" > 0 AND "captured_amount" <= "amount")),
    CONSTRAINT "transfers_hold_fields" CHECK ("hold" OR ("hold_action" IS NULL AND "hold_expires_at" IS NULL)),
    CONSTRAINT "transfers_posted_at" CHECK (("status" = 'posted') = ("posted_at" IS NOT NULL))
);
CREATE UNIQUE INDEX "transfers_reverses_transfer_id_key" ON "transfers"("reverses_transfer_id");
CREATE INDEX "transfers_source_account_id_id_idx" ON "transfers"("source_account_id", "id");
CREATE INDEX "transfers_destination_account_id_id_idx" ON "transfers"("destination_account_id", "id");
CREATE INDEX "transfers_batch_id_idx" ON "transfers"("batch_id");
-- The expiry sweeper looks only at live holds.
CREATE INDEX "transfers_pending_hold_expiry" ON "transfers"("hold_expires_at") WHERE "status" = 'pending';

CREATE TABLE "transfer_batches" (
    "id" UUID NOT NULL,
    "atomic" BOOLEAN NOT NULL,
    "client_id" VARCHAR(128) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "transfer_batches_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "journal_entries" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "transfer_id" UUID NOT NULL,
    "direction" "entry_direction" NOT NULL,
    "amount" DECIMAL(22,4) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "balance_after" DECIMAL(38,4) NOT NULL,
    "account_sequence" BIGINT NOT NULL,
    "description" VARCHAR(500),
    "posted_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "journal_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "journal_entries_amount_positive" CHECK ("amount" > 0),
    CONSTRAINT "journal_entries_sequence_positive" CHECK ("account_sequence" > 0)
);
-- Exactly-once posting: a transfer can have one debit and one credit, never a second of either.
CREATE UNIQUE INDEX "journal_entries_transfer_id_direction_key" ON "journal_entries"("transfer_id", "direction");
CREATE UNIQUE INDEX "journal_entries_account_id_account_sequence_key" ON "journal_entries"("account_id", "account_sequence");
CREATE INDEX "journal_entries_account_id_posted_at_idx" ON "journal_entries"("account_id", "posted_at");

CREATE TABLE "idempotency_keys" (
    "client_id" VARCHAR(128) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "response_status" INTEGER NOT NULL,
    "response_body" TEXT NOT NULL,
    "response_headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("client_id", "key")
);
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");

CREATE TABLE "outbox_messages" (
    "id" BIGSERIAL NOT NULL,
    "queue" VARCHAR(64) NOT NULL,
    "job_name" VARCHAR(64) NOT NULL,
    "job_id" VARCHAR(200) NOT NULL,
    "payload" JSONB NOT NULL,
    "request_id" VARCHAR(128),
    "available_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "outbox_messages_queue_format" CHECK ("queue" ~ '^[a-z][a-z0-9-]*$'),
    -- BullMQ builds Redis keys with ':' and reserves all-digit ids for its own counter.
    CONSTRAINT "outbox_messages_job_id_format" CHECK (position(':' in "job_id") = 0 AND "job_id" !~ '^[0-9]+$' AND "job_id" <> '')
);
-- The relay scans only unpublished rows: due ones in id order, and the next delayed one to set its timer.
CREATE INDEX "outbox_messages_unpublished" ON "outbox_messages"("id") WHERE "published_at" IS NULL;
CREATE INDEX "outbox_messages_unpublished_available_at" ON "outbox_messages"("available_at") WHERE "published_at" IS NULL;
-- The retention cleanup deletes the oldest published rows.
CREATE INDEX "outbox_messages_published_at" ON "outbox_messages"("published_at") WHERE "published_at" IS NOT NULL;

-- Wakes the outbox relays (LISTEN ledgerline_outbox) when rows are committed. Once per statement, and
-- Postgres folds identical notifications of one transaction into one, so a batch insert costs one.
CREATE FUNCTION "outbox_messages_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ledgerline_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER "outbox_messages_notify" AFTER INSERT ON "outbox_messages"
    FOR EACH STATEMENT EXECUTE FUNCTION "outbox_messages_notify"();

CREATE TABLE "audit_records" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" VARCHAR(128) NOT NULL,
    "role" VARCHAR(32) NOT NULL,
    "action" VARCHAR(200) NOT NULL,
    "resource" VARCHAR(500) NOT NULL,
    "request_id" VARCHAR(128) NOT NULL,
    "outcome" INTEGER NOT NULL,
    "prev_hash" CHAR(64) NOT NULL,
    "hash" CHAR(64) NOT NULL,
    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "accounts" ADD CONSTRAINT "accounts_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_transfer_id_fkey" FOREIGN KEY ("transfer_id") REFERENCES "transfers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Append-only tables: journal entries and audit records can be inserted, never changed or removed.
CREATE FUNCTION "forbid_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is forbidden: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "journal_entries_append_only" BEFORE UPDATE OR DELETE ON "journal_entries"
    FOR EACH ROW EXECUTE FUNCTION "forbid_change"();
CREATE TRIGGER "journal_entries_no_truncate" BEFORE TRUNCATE ON "journal_entries"
    FOR EACH STATEMENT EXECUTE FUNCTION "forbid_change"();
CREATE TRIGGER "audit_records_append_only" BEFORE UPDATE OR DELETE ON "audit_records"
    FOR EACH ROW EXECUTE FUNCTION "forbid_change"();
CREATE TRIGGER "audit_records_no_truncate" BEFORE TRUNCATE ON "audit_records"
    FOR EACH STATEMENT EXECUTE FUNCTION "forbid_change"();

-- The audit hash chain. Each record's hash covers its content and the previous record's hash, so
-- editing or deleting any row breaks every hash after it. `audit_record_hash` is the one definition
-- used both here and by the verify command.
CREATE FUNCTION "audit_record_hash"(
    prev_hash TEXT, id BIGINT, occurred_at TIMESTAMPTZ, actor TEXT, role TEXT, action TEXT,
    resource TEXT, request_id TEXT, outcome INTEGER) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws(E'\x1f', prev_hash, id::text,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        actor, role, action, resource, request_id, outcome::text), 'UTF8')), 'hex')
$$;

CREATE FUNCTION "audit_records_chain"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous TEXT;
BEGIN
    -- Serialize appends so that each record links to exactly one predecessor. The lock is held
    -- until the inserting transaction ends, so audit inserts should be short, single statements.
    PERFORM pg_advisory_xact_lock(7383902371);
    -- Take the id under the lock too, so that id order is chain order.
    NEW."id" := nextval(pg_get_serial_sequence('audit_records', 'id'));
    SELECT "hash" INTO previous FROM "audit_records" ORDER BY "id" DESC LIMIT 1;
    NEW."prev_hash" := coalesce(previous, repeat('0', 64));
    NEW."occurred_at" := date_trunc('milliseconds', clock_timestamp());
    NEW."hash" := "audit_record_hash"(NEW."prev_hash", NEW."id", NEW."occurred_at", NEW."actor",
        NEW."role", NEW."action", NEW."resource", NEW."request_id", NEW."outcome");
    RETURN NEW;
END;
$$;
CREATE TRIGGER "audit_records_chain" BEFORE INSERT ON "audit_records"
    FOR EACH ROW EXECUTE FUNCTION "audit_records_chain"();
