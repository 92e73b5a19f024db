-- Partitions of `logs` are made without ever asking for an ACCESS EXCLUSIVE lock on `logs`:
-- `CREATE TABLE ... PARTITION OF logs` needs one, and waits behind any open read of `logs` (an
-- export streaming to a slow client) while every `COPY` and read queues behind the wait. Each
-- table is now created on its own and then attached, which takes only SHARE UPDATE EXCLUSIVE on
-- the parent (compatible with reads and with `COPY`); the new table itself is the only one
-- locked exclusively, and nobody else can hold it yet. A leaf is created with a CHECK matching
-- its bound, so that attaching it skips the validation scan; the CHECK is dropped afterwards.
-- The caller bounds the waits with `lock_timeout` (the bridge sets it; a partition that cannot
-- be made yet answers 503 and is retried by the client).

-- Same name, arguments and behaviour as in 0008: creates the partition of `logs` holding `day`
-- (UTC) and `class` unless it exists; a day partition made before 0008 (a plain table holding
-- every class) is left as it is. Safe to call concurrently.
CREATE OR REPLACE FUNCTION logbridge_ensure_logs_partition(day date, class text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day_name text := 'logs_p' || to_char(day, 'YYYYMMDD');
    class_name text := day_name || '_' || class;
    bound_name text := class_name || '_bound';
    lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
    upper_bound timestamptz := lower_bound + interval '1 day';
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
                'CREATE TABLE %I (LIKE logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
                'PARTITION BY LIST (retention_class)', day_name);
            EXECUTE format('ALTER TABLE logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           day_name, lower_bound, upper_bound);
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
            -- Another writer created it between the check and the CREATE.
            NULL;
        END;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I (LIKE logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
        'CONSTRAINT %I CHECK (ts >= %L AND ts < %L AND retention_class = %L))',
        class_name, bound_name, lower_bound, upper_bound, class);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%L)',
                   day_name, class_name, class);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', class_name, bound_name);
EXCEPTION WHEN duplicate_table OR unique_violation THEN
    RETURN;
END;
$$;
