-- Indexes of the read side, each a cost at ingest (see bench/RESULTS.md).
-- Full-text search (`q`): every word must appear in the body or the exception message.
CREATE INDEX logs_text_idx ON logs USING gin (
    to_tsvector('simple'::regconfig, body || ' ' || coalesce(exception_message, '')));
-- Recent occurrences of one exception group.
CREATE INDEX logs_exception_fingerprint_idx ON logs (exception_fingerprint, ts)
    WHERE exception_fingerprint IS NOT NULL;
