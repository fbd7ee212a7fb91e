-- Compliance batch reports (`POST /v1/compliance/reports`). A request writes the row (`queued`) and the
-- outbox row of its `run-report` job in one statement; the compliance worker runs it (`running`), then
-- stores the CSV and the summary and sets `completed` in one statement, or marks it `failed` after the
-- job's last attempt. Reports only read the ledger: nothing here refers to money rows.

CREATE TYPE "compliance_report_type" AS ENUM ('ctr', 'structuring', 'sanctions_rescreen', 'reconciliation');
CREATE TYPE "compliance_report_status" AS ENUM ('queued', 'running', 'completed', 'failed');

CREATE TABLE "compliance_reports" (
    "id" UUID NOT NULL,
    "type" "compliance_report_type" NOT NULL,
    "status" "compliance_report_status" NOT NULL DEFAULT 'queued',
    "period_from" TIMESTAMPTZ(3) NOT NULL,
    "period_to" TIMESTAMPTZ(3) NOT NULL,
    "progress" SMALLINT NOT NULL DEFAULT 0,
    "summary" JSONB,
    -- The whole CSV, kept with its row so that a download is one read; bounded below.
    "content" TEXT,
    "content_bytes" INTEGER,
    "requested_by" VARCHAR(128) NOT NULL,
    "request_id" VARCHAR(128) NOT NULL,
    -- Runs started (a redelivered or retried job runs the report again from the start).
    "runs" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    -- Why a report failed, as a code the API turns into a safe sentence; the message is for operators only.
    "failure_reason" VARCHAR(32),
    "error_message" VARCHAR(2000),
    CONSTRAINT "compliance_reports_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "compliance_reports_period_order" CHECK ("period_from" < "period_to"),
    CONSTRAINT "compliance_reports_period_span" CHECK ("period_to" - "period_from" <= interval '366 days'),
    CONSTRAINT "compliance_reports_progress_range" CHECK ("progress" BETWEEN 0 AND 100),
    CONSTRAINT "compliance_reports_runs_non_negative" CHECK ("runs" >= 0),
    -- A completed report has its content and summary and nothing else has content; 64 MiB is the ceiling
    -- of the worker's configurable cap (REPORTS_CONTENT_BYTES_MAX).
    CONSTRAINT "compliance_reports_completed_content" CHECK (
        ("status" = 'completed') = ("content" IS NOT NULL)
        AND ("status" <> 'completed' OR ("summary" IS NOT NULL AND "progress" = 100))),
    CONSTRAINT "compliance_reports_content_bytes" CHECK (
        ("content" IS NULL AND "content_bytes" IS NULL)
        OR ("content_bytes" = octet_length("content") AND "content_bytes" <= 67108864)),
    CONSTRAINT "compliance_reports_finished" CHECK (("status" IN ('completed', 'failed')) = ("finished_at" IS NOT NULL)),
    CONSTRAINT "compliance_reports_failure" CHECK (
        ("status" = 'failed') = ("failure_reason" IS NOT NULL)
        AND ("failure_reason" IS NULL OR "failure_reason" IN ('too_large', 'sanctions_unavailable', 'internal')))
);
