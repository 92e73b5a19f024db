-- Partitions of `logs` whose IP addresses were truncated by the retention job (GDPR data
-- minimization), so that each is rewritten once.
CREATE TABLE anonymized_partitions (
    partition     text        PRIMARY KEY,
    anonymized_at timestamptz NOT NULL DEFAULT now(),
    rows_changed  bigint      NOT NULL
);

-- What each retention run anonymized: `[{"partition", "rows"}]`.
ALTER TABLE retention_runs ADD COLUMN anonymized jsonb NOT NULL DEFAULT '[]';
