-- Spans for timing the trace reads (bench/RESULTS.md, "Trace reads"): run with psql on a
-- migrated database whose `spans` partitions for yesterday, today and tomorrow exist
-- (`SELECT logbridge_ensure_day_partition('spans', 'start_ts', d)`).
\timing on
-- 100k traces of 5 spans over the last 24 h, 20 services: a root in svc(t%20), children in
-- the next services, one span in 20 an error.
INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, start_ts, duration_ns,
    status_code, service, attributes, resource, events)
SELECT lpad(to_hex(t), 32, '0'),
       lpad(to_hex(t * 8 + s), 16, '0'),
       CASE WHEN s = 0 THEN NULL ELSE lpad(to_hex(t * 8), 16, '0') END,
       'op' || ((t + s) % 50),
       CASE WHEN s = 0 THEN 'server' ELSE 'client' END,
       now() - make_interval(secs => (t % 86400)) + make_interval(secs => s * 0.001),
       ((t * 7919 + s * 104729) % 2000000) * 1000,
       CASE WHEN (t + s) % 20 = 0 THEN 2 ELSE 0 END,
       'svc' || ((t + s) % 20),
       jsonb_build_object('http.route', '/r/' || (t % 100), 'n', t),
       jsonb_build_object('service.name', 'svc' || ((t + s) % 20)),
       '[]'::jsonb
FROM generate_series(1, 100000) t, generate_series(0, 4) s;
ANALYZE spans;
