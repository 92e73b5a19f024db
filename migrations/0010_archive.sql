-- Restored archives: `logbridge archive restore FILE` loads an archive's rows into
-- `logs_restored`, which has the columns `logs` has at that time (without their NOT NULL
-- constraints or defaults, so that older archives load too) plus `archive_file`, the archive
-- the row came from. The table is created, and given columns `logs` gained since, on each
-- restore by this function, inside the restore's transaction.
CREATE FUNCTION logbridge_ensure_logs_restored() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    -- Concurrent restores wait here rather than both creating the table or a column.
    PERFORM pg_advisory_xact_lock(hashtext('logbridge_ensure_logs_restored'));
    CREATE TABLE IF NOT EXISTS logs_restored ();
    FOR missing IN
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a
        WHERE a.attrelid = 'logs'::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND NOT EXISTS (
              SELECT 1 FROM pg_attribute r
              WHERE r.attrelid = 'logs_restored'::regclass AND r.attname = a.attname
                AND NOT r.attisdropped)
        ORDER BY a.attnum
    LOOP
        EXECUTE format('ALTER TABLE logs_restored ADD COLUMN %I %s', missing.name, missing.type);
    END LOOP;
    ALTER TABLE logs_restored ADD COLUMN IF NOT EXISTS archive_file text;
    CREATE INDEX IF NOT EXISTS logs_restored_archive_file_idx ON logs_restored (archive_file);
    CREATE INDEX IF NOT EXISTS logs_restored_ts_idx ON logs_restored (ts);
    -- Grafana's read-only role (migration 0003) may query restored rows as it does `logs`.
    GRANT SELECT ON logs_restored TO logbridge_grafana;
END;
$$;
