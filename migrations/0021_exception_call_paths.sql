-- The distinct call paths of each exception group with their counts (issue 19): one bug reached
-- from several callers is one group, and its callers stay visible here, as Sentry's breakdown
-- shows them. A path is the application frames of the throwing exception, nearest the throw
-- first (`shop/orders.load < shop/orders.checkout`). Written with the group in one transaction.
CREATE TABLE exception_group_paths (
    fingerprint  text        NOT NULL REFERENCES exception_groups (fingerprint) ON DELETE CASCADE,
    path         text        NOT NULL,
    occurrences  bigint      NOT NULL,
    last_seen    timestamptz NOT NULL,
    PRIMARY KEY (fingerprint, path)
);
GRANT SELECT ON exception_group_paths TO logbridge_grafana;
