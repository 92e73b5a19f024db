-- Exception fingerprints are versioned (issue 19): version 2 groups by the bug (type, root
-- cause, crashing application frame; the message only without frames). Groups made before
-- keep version 1 until `logbridge exceptions regroup` maps them onto version 2, keeping their
-- resolution state; `migrate` and `serve` run it right after this migration.
ALTER TABLE exception_groups ADD COLUMN fingerprint_version smallint NOT NULL DEFAULT 1;
ALTER TABLE exception_groups ALTER COLUMN fingerprint_version SET DEFAULT 2;
