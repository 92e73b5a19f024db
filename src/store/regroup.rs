//! `logbridge exceptions regroup`: exception groups of older fingerprint versions mapped onto
//! the current one. Each old group's fingerprint is recomputed from its service, type, message
//! and sample stack trace; old groups meeting in one new group are merged (occurrences added,
//! first and last seen widened, resolved only if every part was, regression if any was), and
//! the log rows and error counts of the old groups point at the new one. One transaction.

use std::collections::BTreeMap;

use sqlx::{PgPool, Row};

use crate::model::ExceptionInfo;
use crate::pipeline::grouping::{self, FINGERPRINT_VERSION, Rules};

/// Serializes regroup runs (two `serve`s starting at once).
const REGROUP_LOCK: i64 = 0x6c62_7267;

/// What a regroup did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Regrouped {
    /// Old groups mapped.
    pub old_groups: usize,
    /// Groups of the current version they became.
    pub new_groups: usize,
}

const OLD_GROUPS: &str = "SELECT fingerprint, service, exception_type, message, sample_stacktrace
    FROM exception_groups WHERE fingerprint_version < $1";

/// Merges the old groups into their new groups, creating those missing.
const MERGE_GROUPS: &str = "
INSERT INTO exception_groups AS g
    (fingerprint, service, exception_type, message, sample_stacktrace, first_seen, last_seen,
     occurrences, resolved, resolved_at, resolved_by, resolution_notes, regression,
     reopened_at, fingerprint_version)
SELECT m.new, min(o.service),
       (array_agg(o.exception_type ORDER BY o.last_seen DESC))[1],
       (array_agg(o.message ORDER BY o.last_seen DESC))[1],
       (array_agg(o.sample_stacktrace ORDER BY o.last_seen DESC))[1],
       min(o.first_seen), max(o.last_seen), sum(o.occurrences)::bigint,
       bool_and(o.resolved), max(o.resolved_at) FILTER (WHERE o.resolved),
       (array_agg(o.resolved_by ORDER BY o.resolved_at DESC NULLS LAST))[1],
       (array_agg(o.resolution_notes ORDER BY o.resolved_at DESC NULLS LAST))[1],
       bool_or(o.regression), max(o.reopened_at), $3
FROM exception_groups o
JOIN unnest($1::text[], $2::text[]) AS m(old, new) ON m.old = o.fingerprint
GROUP BY m.new
ON CONFLICT (fingerprint) DO UPDATE SET
    occurrences = g.occurrences + excluded.occurrences,
    first_seen = least(g.first_seen, excluded.first_seen),
    last_seen = greatest(g.last_seen, excluded.last_seen),
    resolved = g.resolved AND excluded.resolved,
    resolved_at = CASE WHEN g.resolved AND excluded.resolved
                       THEN greatest(g.resolved_at, excluded.resolved_at) END,
    regression = g.regression OR excluded.regression,
    reopened_at = greatest(g.reopened_at, excluded.reopened_at)";

/// Error counts of the old groups, per minute, added to the new groups' counts.
const MERGE_ERROR_COUNTS: &str = "
INSERT INTO error_counts AS c (minute, service, fingerprint, exception_type, message, count, last_seen)
SELECT e.minute, e.service, m.new, max(e.exception_type), max(e.message), sum(e.count)::bigint,
       max(e.last_seen)
FROM error_counts e JOIN unnest($1::text[], $2::text[]) AS m(old, new) ON m.old = e.fingerprint
GROUP BY e.minute, e.service, m.new
ON CONFLICT (minute, service, fingerprint) DO UPDATE SET
    count = c.count + excluded.count, last_seen = greatest(c.last_seen, excluded.last_seen)";

const DELETE_OLD_COUNTS: &str = "DELETE FROM error_counts WHERE fingerprint = ANY($1)";
const DELETE_OLD_GROUPS: &str =
    "DELETE FROM exception_groups WHERE fingerprint = ANY($1) AND fingerprint_version < $2";
const RELINK_LOGS: &str = "
UPDATE logs SET exception_fingerprint = m.new,
    error_fingerprint = CASE WHEN logs.error_fingerprint = m.old THEN m.new
                             ELSE logs.error_fingerprint END
FROM unnest($1::text[], $2::text[]) AS m(old, new)
WHERE logs.exception_fingerprint = m.old";

/// Maps every group of an older fingerprint version onto the current version, with the
/// configured `grouping.rules`.
pub async fn regroup(pool: &PgPool, rules: &Rules) -> sqlx::Result<Regrouped> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(REGROUP_LOCK)
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(OLD_GROUPS)
        .bind(FINGERPRINT_VERSION)
        .fetch_all(&mut *tx)
        .await?;
    let mapping: BTreeMap<String, String> =
        rows.iter().map(|row| new_fingerprint(row, rules)).collect();
    if mapping.is_empty() {
        return Ok(Regrouped::default());
    }
    let old: Vec<String> = mapping.keys().cloned().collect();
    let new: Vec<String> = mapping.values().cloned().collect();
    let mut distinct = new.clone();
    distinct.sort();
    distinct.dedup();
    let pairs = |sql| sqlx::query(sql).bind(&old).bind(&new);
    pairs(MERGE_GROUPS)
        .bind(FINGERPRINT_VERSION)
        .execute(&mut *tx)
        .await?;
    pairs(MERGE_ERROR_COUNTS).execute(&mut *tx).await?;
    pairs(RELINK_LOGS).execute(&mut *tx).await?;
    sqlx::query(DELETE_OLD_COUNTS)
        .bind(&old)
        .execute(&mut *tx)
        .await?;
    let delete = sqlx::query(DELETE_OLD_GROUPS)
        .bind(&old)
        .bind(FINGERPRINT_VERSION);
    delete.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Regrouped {
        old_groups: old.len(),
        new_groups: distinct.len(),
    })
}

/// The old fingerprint of a group row and the current version's for the same exception.
fn new_fingerprint(row: &sqlx::postgres::PgRow, rules: &Rules) -> (String, String) {
    let service: String = row.get("service");
    let mut exception = ExceptionInfo {
        exception_type: row.get("exception_type"),
        message: row.get("message"),
        stacktrace: row.get("sample_stacktrace"),
        fingerprint: String::new(),
    };
    grouping::assign_exception(&service, &mut exception, None, rules);
    (row.get("fingerprint"), exception.fingerprint)
}
