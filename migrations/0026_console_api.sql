-- Records per hour, service and scope (the logger or module name; '' for none), kept by the
-- writers in the same transaction as the rows, like `log_counts`: the scope listing of the
-- read API (GET /api/v1/logs/scopes) reads this instead of grouping rows of `logs`.
CREATE TABLE scope_counts (
    hour      timestamptz NOT NULL,
    service   text        NOT NULL,
    scope     text        NOT NULL,
    count     bigint      NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (hour, service, scope)
);

-- Rows stored before this migration, counted once.
INSERT INTO scope_counts (hour, service, scope, count, last_seen)
SELECT date_trunc('hour', ts), service, coalesce(scope, ''), sum(dedup_count), max(ts)
FROM logs GROUP BY 1, 2, 3;

GRANT SELECT ON scope_counts TO logbridge_grafana;

-- Runs started through the read API (POST /api/v1/retention/run) are recorded as `api`.
ALTER TABLE retention_runs DROP CONSTRAINT retention_runs_trigger_check;
ALTER TABLE retention_runs ADD CONSTRAINT retention_runs_trigger_check
    CHECK (trigger IN ('schedule', 'command', 'api'));
