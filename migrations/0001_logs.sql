-- The `logs` table: one row per accepted record, range-partitioned by day (UTC) on `ts`.
-- Columns up to `resource` are the stable SQL surface of CONTRACT.md; the derived request, query
-- and exception columns are what the pipeline extracted, for Grafana panels and the read API.
CREATE SEQUENCE logs_id_seq AS bigint;

CREATE TABLE logs (
    id                   bigint      NOT NULL DEFAULT nextval('logs_id_seq'),
    ts                   timestamptz NOT NULL,
    observed_ts          timestamptz NOT NULL,
    service              text        NOT NULL,
    level                text        NOT NULL,
    severity_number      smallint    NOT NULL,
    severity_text        text,
    body                 text        NOT NULL,
    trace_id             text,
    span_id              text,
    scope                text,
    http_method          text,
    http_route           text,
    http_status          smallint,
    http_duration_ms     double precision,
    db_system            text,
    db_operation         text,
    db_query             text,
    db_duration_ms       double precision,
    exception_type       text,
    exception_message    text,
    exception_stacktrace text,
    attributes           jsonb       NOT NULL DEFAULT '{}',
    resource             jsonb       NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (ts);

ALTER SEQUENCE logs_id_seq OWNED BY logs.id;

-- Creates the partition holding `day` (UTC) unless it exists; safe to call concurrently.
CREATE FUNCTION logbridge_ensure_logs_partition(day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'logs_p' || to_char(day, 'YYYYMMDD');
    lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF logs FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, lower_bound + interval '1 day');
EXCEPTION WHEN duplicate_table OR unique_violation THEN
    -- Another writer created it between the check and the CREATE.
    RETURN;
END;
$$;
