//! How the writer loads the rows of `spans` so that every accepted span is stored once
//! (migration 0018): by `COPY`, which the unique index on (trace id, span id, start) refuses
//! when a span is stored already; then, for that group only, through a staging table and
//! `INSERT ... ON CONFLICT DO NOTHING`, which skips the spans stored already (and the second
//! of a span sent twice in the group), and says which spans it stored, so that only their
//! exceptions and metrics are counted.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection};

use super::copy::{EncodedBatch, ExceptionCounts, SPANS_COPY_STATEMENT, SpanKey};
use super::writer::copy;

/// How the spans of a group are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SpanLoad {
    /// One `COPY` into `spans`: the fast path, refused when a span is stored already.
    Copy,
    /// `COPY` into a staging table, then inserted skipping the spans stored already.
    Merge,
}

/// The staging table, dropped at the end of the writer's transaction.
const STAGING: &str = "logbridge_spans_incoming";

/// The columns the writer sends, as `SPANS_COPY_STATEMENT` lists them.
fn columns() -> &'static str {
    let rest = SPANS_COPY_STATEMENT
        .strip_prefix("COPY spans (")
        .expect("SPANS_COPY_STATEMENT names table spans");
    rest.strip_suffix(") FROM STDIN")
        .expect("SPANS_COPY_STATEMENT reads from stdin")
}

static CREATE_STAGING: LazyLock<String> = LazyLock::new(|| {
    format!("CREATE TEMP TABLE {STAGING} (LIKE spans INCLUDING DEFAULTS) ON COMMIT DROP")
});

static COPY_TO_STAGING: LazyLock<String> =
    LazyLock::new(|| format!("COPY {STAGING} ({}) FROM STDIN", columns()));

/// Rows of the staging table into `spans`, but those whose key is there already; gives the
/// keys of the spans stored. Inserted in key order, so that two groups merging the same spans
/// take their locks in the same order and one waits for the other instead of both deadlocking.
static INSERT_NEW: LazyLock<String> = LazyLock::new(|| {
    let columns = columns();
    format!(
        "INSERT INTO spans ({columns}) SELECT {columns} FROM {STAGING} \
         ORDER BY trace_id, span_id, start_ts \
         ON CONFLICT (trace_id, span_id, start_ts) DO NOTHING \
         RETURNING trace_id, span_id, start_ts"
    )
});

/// Loads the rows, skipping every span whose (trace id, span id, start) is stored already;
/// on the connection's open transaction. Gives the keys of the spans it stored.
pub(super) async fn merge<'a>(
    connection: &mut PgConnection,
    rows: impl Iterator<Item = &'a [u8]>,
) -> sqlx::Result<HashSet<SpanKey>> {
    sqlx::raw_sql(AssertSqlSafe(CREATE_STAGING.as_str()))
        .execute(&mut *connection)
        .await?;
    copy(&mut *connection, &COPY_TO_STAGING, rows).await?;
    let stored: Vec<(String, String, DateTime<Utc>)> =
        sqlx::query_as(AssertSqlSafe(INSERT_NEW.as_str()))
            .persistent(false)
            .fetch_all(&mut *connection)
            .await?;
    let keys = stored.into_iter();
    Ok(keys
        .map(|(trace_id, span_id, start)| (trace_id, span_id, start.timestamp_micros()))
        .collect())
}

/// The spans of each batch that were not stored, by place in the batch (ascending): none when
/// `stored` is `None` (loaded by [`SpanLoad::Copy`]), else those whose key it lacks (stored
/// before) and the later of a span sent twice in the group (stored once).
pub(super) fn skipped(
    batches: &[&EncodedBatch],
    stored: Option<&HashSet<SpanKey>>,
) -> Vec<Vec<u32>> {
    let Some(stored) = stored else {
        return vec![Vec::new(); batches.len()];
    };
    let mut counted: HashSet<&SpanKey> = HashSet::new();
    let mut all = Vec::with_capacity(batches.len());
    for batch in batches {
        let keys = (0u32..).zip(&batch.spans.keys);
        let skipped = keys.filter(|(_, key)| !(stored.contains(*key) && counted.insert(key)));
        all.push(skipped.map(|(place, _)| place).collect());
    }
    all
}

/// The exception counts of the batches' spans that were stored: those `skipped` (per batch,
/// as [`skipped`] gives) does not name.
pub(super) fn stored_exceptions<'a>(
    batches: &'a [&'a EncodedBatch],
    skipped: &'a [Vec<u32>],
) -> impl Iterator<Item = &'a ExceptionCounts> + 'a {
    batches.iter().zip(skipped).flat_map(|(batch, skipped)| {
        let exceptions = batch.spans.exceptions.iter();
        exceptions
            .filter(|(place, _)| skipped.binary_search(place).is_err())
            .map(|(_, counts)| counts)
    })
}
