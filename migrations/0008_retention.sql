-- Retention classes: each day partition of `logs` is split by retention class, so that the
-- retention job expires a class by dropping whole partitions, never by deleting rows.

-- The class the pipeline chose for the row (`retention.classes`); rows written by anything else
-- are `standard`. A constant default: no table rewrite.
ALTER TABLE logs ADD COLUMN retention_class text NOT NULL DEFAULT 'standard';

-- Creates the partition of `logs` holding `day` (UTC) and `class` unless it exists: the day
-- partition `logs_pYYYYMMDD`, partitioned by list of `retention_class`, and its partition
-- `logs_pYYYYMMDD_<class>`. A day partition made before this migration is a plain table that
-- holds every class: nothing to create. Safe to call concurrently.
CREATE FUNCTION logbridge_ensure_logs_partition(day date, class text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day_name text := 'logs_p' || to_char(day, 'YYYYMMDD');
    class_name text := day_name || '_' || class;
    lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
    day_kind "char";
BEGIN
    IF to_regclass(quote_ident(class_name)) IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT relkind INTO day_kind FROM pg_class WHERE oid = to_regclass(quote_ident(day_name));
    IF day_kind = 'r' THEN
        RETURN;
    END IF;
    IF day_kind IS NULL THEN
        BEGIN
            EXECUTE format(
                'CREATE TABLE IF NOT EXISTS %I PARTITION OF logs FOR VALUES FROM (%L) TO (%L) '
                'PARTITION BY LIST (retention_class)',
                day_name, lower_bound, lower_bound + interval '1 day');
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
            -- Another writer created it between the check and the CREATE.
            NULL;
        END;
    END IF;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%L)',
                   class_name, day_name, class);
EXCEPTION WHEN duplicate_table OR unique_violation THEN
    RETURN;
END;
$$;

-- The one-argument form creates the partition of class `standard`, the column's default.
CREATE OR REPLACE FUNCTION logbridge_ensure_logs_partition(day date) RETURNS void
LANGUAGE sql AS $$
    SELECT logbridge_ensure_logs_partition(day, 'standard');
$$;

-- Empty day partitions made before this migration (those created ahead of today) are dropped,
-- to be created again split by class. Days that hold rows stay plain tables: the retention
-- job drops them whole after the longest class's days.
DO $$
DECLARE
    day_partition regclass;
    has_rows boolean;
BEGIN
    FOR day_partition IN
        SELECT i.inhrelid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'logs'::regclass AND c.relkind = 'r'
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', day_partition) INTO has_rows;
        IF NOT has_rows THEN
            EXECUTE format('DROP TABLE %s', day_partition);
        END IF;
    END LOOP;
END;
$$;

-- One row per run of the retention job: what it archived, dropped and deleted, and what failed.
CREATE TABLE retention_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- `schedule` (inside `serve`) or `command` (`logbridge retention run`).
    trigger     text        NOT NULL CHECK (trigger IN ('schedule', 'command')),
    -- `running` until it ends; `skipped` when another run held the lock.
    status      text        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'partial', 'failed', 'skipped')),
    -- Partitions archived: [{"partition", "day", "class", "rows", "file"}].
    archived    jsonb       NOT NULL DEFAULT '[]',
    -- Partitions dropped: [{"partition", "day", "class", "archived"}].
    dropped     jsonb       NOT NULL DEFAULT '[]',
    -- What failed and was left in place: [{"partition" or "table", "step", "error"}].
    failed      jsonb       NOT NULL DEFAULT '[]',
    -- Rows deleted from the other tables: {"audit_log": 12, ...}.
    deleted     jsonb       NOT NULL DEFAULT '{}',
    -- Why the run was skipped or failed as a whole.
    message     text
);
CREATE INDEX retention_runs_started_at_idx ON retention_runs (started_at);

GRANT SELECT ON retention_runs TO logbridge_grafana;
