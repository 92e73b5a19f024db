-- Browser keys (issue 14): a public token a web page carries. It may only write, only records
-- of its one service, and only from its listed origins (exact `https://shop.example.com` or
-- `https://*.example.com` patterns); it never reads.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('ingest', 'reader', 'support', 'admin', 'browser'));
ALTER TABLE api_tokens ADD COLUMN origins text[];
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_browser_scope CHECK (
    role <> 'browser' OR (cardinality(services) = 1 AND cardinality(origins) >= 1)
);
