-- Errors of a service, newest first: `GET /api/v1/logs?service=X&level=error` reads only the
-- matching rows (issue 21). The (service, ts) index alone reads every row of the service in the
-- range and filters out the other levels at the heap. Partial: only error and fatal rows (a few
-- percent) pay for it at ingest (bench/RESULTS.md, "Read side at 10 M rows").
CREATE INDEX logs_service_errors_ts_idx ON logs (service, ts) WHERE level IN ('error', 'fatal');
