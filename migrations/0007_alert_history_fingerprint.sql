-- The webhook receiver looks up the latest row of a fingerprint to skip repeated notifications.
CREATE INDEX alert_history_fingerprint_idx ON alert_history (fingerprint, id DESC);
