-- Per-minute rollups of `logs`, kept by the writers in the same transaction as the rows: the
-- stats endpoint and dashboards read these instead of scanning a day of rows.

-- The error group of an error or fatal record: its exception's fingerprint, else a hash of
-- its service and normalized message (null for other levels).
ALTER TABLE logs ADD COLUMN error_fingerprint text;

-- Records per minute, service and level.
CREATE TABLE log_counts (
    minute  timestamptz NOT NULL,
    service text        NOT NULL,
    level   text        NOT NULL,
    count   bigint      NOT NULL,
    PRIMARY KEY (minute, service, level)
);

-- Error and fatal records per minute, service and error group, with the latest message.
CREATE TABLE error_counts (
    minute         timestamptz NOT NULL,
    service        text        NOT NULL,
    fingerprint    text        NOT NULL,
    exception_type text,
    message        text        NOT NULL,
    count          bigint      NOT NULL,
    last_seen      timestamptz NOT NULL,
    PRIMARY KEY (minute, service, fingerprint)
);

-- Rows stored before this migration, counted once (their error groups by exception
-- fingerprint, else by a hash of the digit-normalized message).
INSERT INTO log_counts (minute, service, level, count)
SELECT date_trunc('minute', ts), service, level, count(*) FROM logs GROUP BY 1, 2, 3;
INSERT INTO error_counts (minute, service, fingerprint, exception_type, message, count, last_seen)
SELECT DISTINCT ON (1, 2, 3) date_trunc('minute', ts), service,
       coalesce(exception_fingerprint,
                left(md5(service || regexp_replace(body, '[0-9]+', '?', 'g')), 16)),
       exception_type, coalesce(exception_message, body),
       count(*) OVER w, max(ts) OVER w
FROM logs WHERE level IN ('error', 'fatal')
WINDOW w AS (PARTITION BY date_trunc('minute', ts), service,
             coalesce(exception_fingerprint,
                      left(md5(service || regexp_replace(body, '[0-9]+', '?', 'g')), 16)))
ORDER BY 1, 2, 3, ts DESC;

GRANT SELECT ON log_counts, error_counts TO logbridge_grafana;
