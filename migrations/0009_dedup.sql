-- Deduplication (`dedup:` in the configuration): identical records of one window are stored as
-- one row that stands for `dedup_count` records, seen from `first_seen` to `last_seen` (event
-- times). Rows of services without dedup keep `dedup_count = 1` and null `first_seen`,
-- `last_seen` and `dedup_key` (read them as `coalesce(first_seen, ts)`). Count records with
-- `sum(dedup_count)`, not `count(*)`. PostgreSQL 11+ adds these columns without a rewrite.
ALTER TABLE logs
    ADD COLUMN dedup_key   bigint,
    ADD COLUMN dedup_count integer NOT NULL DEFAULT 1,
    ADD COLUMN first_seen  timestamptz,
    ADD COLUMN last_seen   timestamptz;

-- The open row of each dedup key: a writer that inserts a key first stores a new row; one that
-- finds the key adds its records to that row (`log_ts` pins the partition, `log_id` the row).
-- The primary key serializes writers and bridge instances on the same key. Rows not used for
-- `dedup.keep_open_seconds` are deleted by the bridge. Unlogged: after a crash the table is
-- empty, and duplicates of windows open at the time start a second row (counts stay exact).
CREATE UNLOGGED TABLE dedup_heads (
    key     bigint      PRIMARY KEY,
    log_ts  timestamptz NOT NULL,
    log_id  bigint      NOT NULL,
    -- When the row was created or last took records (wall clock), for expiry.
    seen_at timestamptz NOT NULL
) WITH (fillfactor = 80);
