-- Indexes on `logs`, each a cost at ingest (see bench/RESULTS.md for the measured rates):
-- time range scans and newest-first paging, per-service views, and trace lookups.
CREATE INDEX logs_ts_idx ON logs (ts);
CREATE INDEX logs_service_ts_idx ON logs (service, ts);
CREATE INDEX logs_trace_id_idx ON logs (trace_id) WHERE trace_id IS NOT NULL;
