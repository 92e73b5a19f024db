-- Indexes on `spans`, each a cost at ingest (three btrees, as on `logs`; not yet measured for
-- spans): a trace's spans by id (trace view, trace-to-logs links), one service's spans over a
-- time range (search, RED panels), and one service's slowest spans (the partition of the day
-- bounds the time, the index gives the longest first).
CREATE INDEX spans_trace_id_idx ON spans (trace_id);
CREATE INDEX spans_service_start_ts_idx ON spans (service, start_ts);
CREATE INDEX spans_service_duration_idx ON spans (service, duration_ns DESC);
