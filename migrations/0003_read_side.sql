-- The read side: columns the query API filters on, exception groups, API tokens and the audit log.

-- Who the record is about (`enduser.id`, `user.id`, `user_id`, ...), and the exception group of
-- the record's exception (see `exception_groups.fingerprint`).
ALTER TABLE logs ADD COLUMN user_id text;
ALTER TABLE logs ADD COLUMN exception_fingerprint text;

-- One row per exception group: same service, type, normalized message and top frames.
CREATE TABLE exception_groups (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint       text        NOT NULL UNIQUE,
    service           text        NOT NULL,
    exception_type    text        NOT NULL,
    message           text        NOT NULL,
    sample_stacktrace text,
    first_seen        timestamptz NOT NULL,
    last_seen         timestamptz NOT NULL,
    occurrences       bigint      NOT NULL,
    resolved          boolean     NOT NULL DEFAULT false,
    resolved_at       timestamptz,
    resolved_by       text,
    resolution_notes  text,
    -- Set when a resolved group occurred again; cleared by the next resolve.
    regression        boolean     NOT NULL DEFAULT false,
    reopened_at       timestamptz
);
CREATE INDEX exception_groups_last_seen_idx ON exception_groups (last_seen);

-- API tokens: only a SHA-256 hash of each token is kept; the token is shown once at creation.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('ingest', 'reader', 'support', 'admin')),
    -- Services a reader or support token may read; null means all.
    services     text[],
    token_hash   bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);

-- Every read request: who, when, what and how many rows. Kept at least 12 months.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    token_id   bigint,
    token_name text,
    role       text,
    method     text        NOT NULL,
    endpoint   text        NOT NULL,
    filters    jsonb       NOT NULL DEFAULT '{}',
    status     smallint    NOT NULL,
    rows       bigint
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Grafana's PostgreSQL datasource logs in as `logbridge_grafana` (set its password yourself:
-- `ALTER ROLE logbridge_grafana PASSWORD '...'`). It may read what dashboards show and nothing
-- else: not the token hashes. Roles are cluster-wide, so another database may have made it.
DO $$
BEGIN
    CREATE ROLE logbridge_grafana LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO logbridge_grafana', current_database());
END;
$$;
GRANT USAGE ON SCHEMA public TO logbridge_grafana;
GRANT SELECT ON logs, exception_groups, audit_log TO logbridge_grafana;
