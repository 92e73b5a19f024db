-- Alert history: every alert state change Alertmanager's webhook reports (firing, resolved).
CREATE TABLE alert_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    -- Alertmanager's fingerprint of the alert's label set.
    fingerprint   text        NOT NULL,
    alertname     text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity      text,
    service       text,
    starts_at     timestamptz,
    ends_at       timestamptz,
    labels        jsonb       NOT NULL DEFAULT '{}',
    annotations   jsonb       NOT NULL DEFAULT '{}',
    generator_url text,
    receiver      text,
    group_key     text
);
CREATE INDEX alert_history_received_at_idx ON alert_history (received_at);
CREATE INDEX alert_history_alertname_idx ON alert_history (alertname, received_at);

GRANT SELECT ON alert_history TO logbridge_grafana;
