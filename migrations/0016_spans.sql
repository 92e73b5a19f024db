-- The `spans` table: one row per accepted OTLP span, range-partitioned by day (UTC) on
-- `start_ts` as `logs` is on `ts`, one partition per day (`spans_pYYYYMMDD`). Ids are lowercase
-- hex as in `logs`; `kind` is the OTLP span kind in lower case (`server`, `client`, ...);
-- `status_code` is OTLP's (0 unset, 1 ok, 2 error). The promoted columns hold the attributes
-- filtered on, read under the current and the older semantic-convention names.
CREATE TABLE spans (
    trace_id             text        NOT NULL,
    span_id              text        NOT NULL,
    parent_span_id       text,
    name                 text        NOT NULL,
    kind                 text        NOT NULL,
    start_ts             timestamptz NOT NULL,
    duration_ns          bigint      NOT NULL,
    status_code          smallint    NOT NULL,
    status_message       text,
    service              text        NOT NULL,
    scope                text,
    http_route           text,
    http_method          text,
    http_status          smallint,
    db_system            text,
    db_operation         text,
    db_query_fingerprint text,
    attributes           jsonb       NOT NULL DEFAULT '{}',
    resource             jsonb       NOT NULL DEFAULT '{}',
    -- [{"name", "time" (RFC 3339, nanoseconds), "attributes"}]
    events               jsonb       NOT NULL DEFAULT '[]',
    -- [{"trace_id", "span_id", "attributes"}]
    links                jsonb       NOT NULL DEFAULT '[]'
) PARTITION BY RANGE (start_ts);

-- Creates the day partition `<parent>_pYYYYMMDD` of a table range-partitioned by day on
-- `time_column`, unless it exists, as migration 0012 makes those of `logs`: the table is
-- created on its own (with a CHECK matching its bound, so that attaching skips the validation
-- scan) and then attached, which takes only SHARE UPDATE EXCLUSIVE on the parent (compatible
-- with reads and `COPY`). The caller bounds the waits with `lock_timeout`. Safe to call
-- concurrently. `parent` and `time_column` come from the bridge, never from input.
CREATE FUNCTION logbridge_ensure_day_partition(parent text, time_column text, day date)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day_name text := parent || '_p' || to_char(day, 'YYYYMMDD');
    bound_name text := day_name || '_bound';
    lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
    upper_bound timestamptz := lower_bound + interval '1 day';
BEGIN
    IF to_regclass(quote_ident(day_name)) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
        'CONSTRAINT %I CHECK (%I >= %L AND %I < %L))',
        day_name, parent, bound_name, time_column, lower_bound, time_column, upper_bound);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, day_name, lower_bound, upper_bound);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', day_name, bound_name);
EXCEPTION WHEN duplicate_table OR unique_violation THEN
    -- Another writer created it between the check and the CREATE.
    RETURN;
END;
$$;

GRANT SELECT ON spans TO logbridge_grafana;
