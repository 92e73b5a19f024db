-- Every accepted span is stored once (issue 13): a span an exporter sends again (a retry after
-- a timeout, a batch re-sent by a collector) is the same span, known by trace id, span id and
-- start, and is not stored a second time. A unique index of a partitioned table must hold the
-- partition key, hence `start_ts`; it is made on every day partition, and on each new one when
-- it is attached. The writer loads spans with `COPY` and, when a batch holds a span already
-- stored, again through a staging table and `INSERT ... ON CONFLICT DO NOTHING`.
--
-- Its leading `trace_id` finds a trace's spans as `spans_trace_id_idx` (0017) did, so that index
-- goes: still three btrees per span at ingest, one of them wider (bench/RESULTS.md, "Spans
-- exactly once", has the cost).

-- Spans stored twice before this migration: the copy found first stays. Equal keys have equal
-- `start_ts`, so both copies are in one partition and `ctid` tells them apart.
DELETE FROM spans s
WHERE EXISTS (
    SELECT 1 FROM spans d
    WHERE d.trace_id = s.trace_id AND d.span_id = s.span_id AND d.start_ts = s.start_ts
      AND d.ctid < s.ctid);

CREATE UNIQUE INDEX spans_identity_idx ON spans (trace_id, span_id, start_ts);
DROP INDEX spans_trace_id_idx;
