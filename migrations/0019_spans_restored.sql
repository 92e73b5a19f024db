-- Restored archives of spans: `logbridge archive restore FILE` loads an archive of a `spans`
-- day into `spans_restored`, as it loads one of `logs` into `logs_restored` (0010): the columns
-- `spans` has at that time (without NOT NULL or defaults, so that older archives load too) plus
-- `archive_file`. Created, and given the columns `spans` gained since, on each restore, inside
-- the restore's transaction.
CREATE FUNCTION logbridge_ensure_spans_restored() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    -- Concurrent restores wait here rather than both creating the table or a column.
    PERFORM pg_advisory_xact_lock(hashtext('logbridge_ensure_spans_restored'));
    CREATE TABLE IF NOT EXISTS spans_restored ();
    FOR missing IN
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a
        WHERE a.attrelid = 'spans'::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND NOT EXISTS (
              SELECT 1 FROM pg_attribute r
              WHERE r.attrelid = 'spans_restored'::regclass AND r.attname = a.attname
                AND NOT r.attisdropped)
        ORDER BY a.attnum
    LOOP
        EXECUTE format('ALTER TABLE spans_restored ADD COLUMN %I %s', missing.name, missing.type);
    END LOOP;
    ALTER TABLE spans_restored ADD COLUMN IF NOT EXISTS archive_file text;
    CREATE INDEX IF NOT EXISTS spans_restored_archive_file_idx ON spans_restored (archive_file);
    CREATE INDEX IF NOT EXISTS spans_restored_trace_id_idx ON spans_restored (trace_id);
    -- Grafana's read-only role may query restored spans as it does `spans`.
    GRANT SELECT ON spans_restored TO logbridge_grafana;
END;
$$;
