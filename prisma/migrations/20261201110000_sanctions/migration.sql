-- Sanctions lists (OFAC SDN) and the customers' screening against them.
--
-- A list is loaded whole, in one transaction, as a new version (1, 2, 3, ...: the loader takes an
-- advisory lock and adds one to the highest version). Lists and their entries are never changed
-- afterwards, so a customer's recorded screening always names the exact entries it was computed
-- against. A customer's `sanctions_status` is recorded with the version it was computed against;
-- the screener rescreens a customer whose version is behind the latest list.

CREATE TABLE "sanctions_lists" (
    "version" BIGINT NOT NULL,
    "content_sha256" CHAR(64) NOT NULL,
    "entries_loaded" INTEGER NOT NULL,
    "loaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "loaded_by" VARCHAR(128) NOT NULL,
    CONSTRAINT "sanctions_lists_pkey" PRIMARY KEY ("version"),
    CONSTRAINT "sanctions_lists_version_positive" CHECK ("version" > 0),
    CONSTRAINT "sanctions_lists_content_sha256_format" CHECK ("content_sha256" ~ '^[0-9a-f]{64}$'),
    -- The parser refuses an empty list and more than 100,000 entries.
    CONSTRAINT "sanctions_lists_entries_loaded_range" CHECK ("entries_loaded" BETWEEN 1 AND 100000),
    CONSTRAINT "sanctions_lists_loaded_by_present" CHECK ("loaded_by" <> '')
);

CREATE TABLE "sanctions_entries" (
    "list_version" BIGINT NOT NULL,
    "ent_num" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "sdn_type" VARCHAR(16) NOT NULL,
    "program" TEXT,
    "normalized_name" TEXT NOT NULL,
    "aliases" TEXT[] NOT NULL DEFAULT '{}',
    "countries" CHAR(2)[] NOT NULL DEFAULT '{}',
    -- ISO 8601: a date (1951-06-10), a month (1951-06), a year (1951), or a range of dates
    -- (1950-01-01/1955-12-31).
    "dates_of_birth" TEXT[] NOT NULL DEFAULT '{}',
    CONSTRAINT "sanctions_entries_pkey" PRIMARY KEY ("list_version", "ent_num"),
    CONSTRAINT "sanctions_entries_ent_num_positive" CHECK ("ent_num" > 0),
    CONSTRAINT "sanctions_entries_name_present" CHECK ("name" <> '' AND "normalized_name" <> ''),
    CONSTRAINT "sanctions_entries_sdn_type_known" CHECK ("sdn_type" IN ('individual', 'entity', 'vessel', 'aircraft')),
    -- An empty array has no dimensions (NULL).
    CONSTRAINT "sanctions_entries_arrays_one_dimensional" CHECK (
        coalesce(array_ndims("aliases"), 1) = 1 AND coalesce(array_ndims("countries"), 1) = 1
        AND coalesce(array_ndims("dates_of_birth"), 1) = 1),
    CONSTRAINT "sanctions_entries_aliases_present" CHECK (array_position("aliases", NULL) IS NULL AND array_position("aliases", '') IS NULL),
    CONSTRAINT "sanctions_entries_countries_format" CHECK (
        array_position("countries", NULL) IS NULL AND array_to_string("countries", ',') ~ '^([A-Z]{2}(,[A-Z]{2})*)?$'),
    CONSTRAINT "sanctions_entries_dates_of_birth_format" CHECK (
        array_position("dates_of_birth", NULL) IS NULL
        AND array_to_string("dates_of_birth", ',') ~ '^(([0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?|[0-9]{4}-[0-9]{2}-[0-9]{2}/[0-9]{4}-[0-9]{2}-[0-9]{2})(,|$))*$')
);

ALTER TABLE "sanctions_entries" ADD CONSTRAINT "sanctions_entries_list_version_fkey" FOREIGN KEY ("list_version") REFERENCES "sanctions_lists"("version") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TRIGGER "sanctions_lists_append_only" BEFORE UPDATE OR DELETE ON "sanctions_lists"
    FOR EACH ROW EXECUTE FUNCTION "forbid_change"();
CREATE TRIGGER "sanctions_lists_no_truncate" BEFORE TRUNCATE ON "sanctions_lists"
    FOR EACH STATEMENT EXECUTE FUNCTION "forbid_change"();
CREATE TRIGGER "sanctions_entries_append_only" BEFORE UPDATE OR DELETE ON "sanctions_entries"
    FOR EACH ROW EXECUTE FUNCTION "forbid_change"();
CREATE TRIGGER "sanctions_entries_no_truncate" BEFORE TRUNCATE ON "sanctions_entries"
    FOR EACH STATEMENT EXECUTE FUNCTION "forbid_change"();

-- The screening of a customer: the list version its status was computed against (NULL: never
-- screened), when, and the best match (public list data only: entry number, entry name, score and
-- the version), which a clear customer does not have.
ALTER TABLE "customers" ADD COLUMN "sanctions_screened_version" BIGINT;
ALTER TABLE "customers" ADD COLUMN "sanctions_screened_at" TIMESTAMPTZ(3);
ALTER TABLE "customers" ADD COLUMN "sanctions_match" JSONB;
ALTER TABLE "customers" ADD CONSTRAINT "customers_sanctions_screened_version_fkey" FOREIGN KEY ("sanctions_screened_version") REFERENCES "sanctions_lists"("version") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "customers" ADD CONSTRAINT "customers_sanctions_screened_whole" CHECK (
    ("sanctions_screened_version" IS NULL) = ("sanctions_screened_at" IS NULL));
ALTER TABLE "customers" ADD CONSTRAINT "customers_sanctions_clear_has_no_match" CHECK (
    "sanctions_status" <> 'clear' OR "sanctions_match" IS NULL);
-- coalesce: a missing key makes jsonb_typeof NULL, and a CHECK that is NULL passes.
ALTER TABLE "customers" ADD CONSTRAINT "customers_sanctions_match_shape" CHECK (
    "sanctions_match" IS NULL OR coalesce((
        jsonb_typeof("sanctions_match") = 'object'
        AND jsonb_typeof("sanctions_match" -> 'ent_num') = 'number'
        AND jsonb_typeof("sanctions_match" -> 'name') = 'string'
        AND jsonb_typeof("sanctions_match" -> 'score') = 'number'
        AND ("sanctions_match" ->> 'score')::numeric BETWEEN 0 AND 1
        AND jsonb_typeof("sanctions_match" -> 'list_version') = 'number'
        -- A match belongs to the screening it was found by.
        AND "sanctions_screened_version" IS NOT NULL
        AND ("sanctions_match" ->> 'list_version')::numeric = "sanctions_screened_version"), false));
