-- The audit trail that cannot be skipped (issue 20): who called from where, and whether a
-- streamed answer (an export) finished.

-- The caller's address (the TCP peer) and its `User-Agent` (at most 512 characters).
ALTER TABLE audit_log ADD COLUMN client_addr inet;
ALTER TABLE audit_log ADD COLUMN user_agent text;

-- For a streamed answer, written before its first byte: `open` until the stream ends, then
-- `complete`, `client_gone` (the client disconnected), `idle_timeout` (the client stopped
-- reading), `timeout` (the statement timeout) or `failed`; `rows` is the rows sent. An entry
-- left `open` is an export whose process died mid-stream (rows unknown). Null for an answer
-- audited whole.
ALTER TABLE audit_log ADD COLUMN stream text
    CHECK (stream IN ('open', 'complete', 'client_gone', 'idle_timeout', 'timeout', 'failed'));
