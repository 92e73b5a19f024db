//! The statements of deduplicated rows, each run on the writer's open transaction: claim the
//! heads of a group's keys, add records to open rows, give closed keys new rows, copy the new
//! rows; and the expiry of unused heads.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::Group;
use crate::store::copy_text::{COPY_STATEMENT, timestamp};

/// A key's head: the row that stands for its records.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Head {
    pub key: i64,
    pub log_id: i64,
    pub log_ts: DateTime<Utc>,
    /// Whether this transaction created the head (its row is still to be copied).
    pub inserted: bool,
}

/// Creates the heads of new keys with a fresh row id, and locks and touches the existing ones.
/// A concurrent transaction inserting the same key waits on the primary key, then finds the
/// head. Rows are processed in the arrays' (key) order. `xmax = 0` holds for inserted rows only.
const CLAIM_HEADS: &str = "
INSERT INTO dedup_heads AS h (key, log_ts, log_id, seen_at)
SELECT key, ts, nextval('logs_id_seq'), now()
FROM unnest($1::bigint[], $2::timestamptz[]) AS u(key, ts)
ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at
RETURNING h.key, h.log_id, h.log_ts, h.xmax = 0 AS inserted";

/// Adds records to open rows; `ts` lets PostgreSQL find the partition and use the index on
/// `ts`. A row that would pass `integer`'s range is left alone (the key gets a new row).
const ADD_TO_ROWS: &str = "
UPDATE logs AS l SET dedup_count = l.dedup_count + u.count,
    first_seen = least(l.first_seen, u.first_seen),
    last_seen = greatest(l.last_seen, u.last_seen)
FROM unnest($1::timestamptz[], $2::bigint[], $3::bigint[], $4::timestamptz[],
            $5::timestamptz[]) AS u(ts, id, count, first_seen, last_seen)
WHERE l.ts = u.ts AND l.id = u.id AND l.dedup_count + u.count <= 2147483647
RETURNING l.id";

/// Points heads (locked by this transaction) at new rows.
const REPOINT_HEADS: &str = "
UPDATE dedup_heads AS h SET log_id = nextval('logs_id_seq'), log_ts = u.ts
FROM unnest($1::bigint[], $2::timestamptz[]) AS u(key, ts)
WHERE h.key = u.key
RETURNING h.key, h.log_id";

/// Deletes up to `$2` heads unused for `$1` seconds; skips heads a writer holds, so it never
/// waits on (nor deadlocks with) a writer.
const EXPIRE_HEADS: &str = "
DELETE FROM dedup_heads WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM dedup_heads WHERE seen_at < now() - make_interval(secs => $1)
    LIMIT $2 FOR UPDATE SKIP LOCKED))";

/// Heads deleted per statement.
const EXPIRE_BATCH: i64 = 10_000;

/// `COPY` of new deduplicated rows: their id and dedup columns, then `COPY_STATEMENT`'s.
static COPY_DEDUP_ROWS: LazyLock<String> = LazyLock::new(|| {
    let columns = COPY_STATEMENT
        .strip_prefix("COPY logs (")
        .expect("COPY_STATEMENT names table logs");
    format!("COPY logs (id, dedup_key, dedup_count, first_seen, last_seen, {columns}")
});

/// Claims the head of every key of the group, in key order.
pub(super) async fn claim_heads(
    connection: &mut PgConnection,
    group: &Group<'_>,
) -> sqlx::Result<Vec<Head>> {
    let keys: Vec<i64> = group.rows.keys().copied().collect();
    let ts: Vec<DateTime<Utc>> = group.rows.values().map(|(_, seen)| seen.ts).collect();
    sqlx::query_as(CLAIM_HEADS)
        .bind(keys)
        .bind(ts)
        .fetch_all(connection)
        .await
}

/// Adds the group's counts to the rows of open heads; returns the ids of the rows updated.
pub(super) async fn add_to_rows(
    connection: &mut PgConnection,
    open: &[Head],
    group: &Group<'_>,
) -> sqlx::Result<HashSet<i64>> {
    if open.is_empty() {
        return Ok(HashSet::new());
    }
    let seen: Vec<_> = open.iter().map(|head| group.seen(head.key)).collect();
    let ids: Vec<i64> = sqlx::query_scalar(ADD_TO_ROWS)
        .bind(open.iter().map(|head| head.log_ts).collect::<Vec<_>>())
        .bind(open.iter().map(|head| head.log_id).collect::<Vec<_>>())
        .bind(seen.iter().map(|s| s.count).collect::<Vec<_>>())
        .bind(seen.iter().map(|s| s.first).collect::<Vec<_>>())
        .bind(seen.iter().map(|s| s.last).collect::<Vec<_>>())
        .fetch_all(connection)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Gives the keys new row ids; returns `(key, id)` of each.
pub(super) async fn repoint_heads(
    connection: &mut PgConnection,
    keys: &[i64],
    group: &Group<'_>,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let ts: Vec<DateTime<Utc>> = keys.iter().map(|key| group.seen(*key).ts).collect();
    sqlx::query_as(REPOINT_HEADS)
        .bind(keys)
        .bind(ts)
        .fetch_all(connection)
        .await
}

/// Copies the new rows, `(key, id)` each, with their counts and times.
pub(super) async fn copy_rows(
    connection: &mut PgConnection,
    rows: &[(i64, i64)],
    group: &Group<'_>,
) -> sqlx::Result<()> {
    let mut data = Vec::new();
    for (key, id) in rows {
        let seen = group.seen(*key);
        let _ = write!(data, "{id}\t{key}\t{}\t", seen.count);
        timestamp(&mut data, &seen.first);
        data.push(b'\t');
        timestamp(&mut data, &seen.last);
        data.push(b'\t');
        data.extend_from_slice(group.row(*key));
    }
    let mut copy = connection.copy_in_raw(&COPY_DEDUP_ROWS).await?;
    if let Err(error) = copy.send(data).await {
        let _ = copy.abort("send failed").await;
        return Err(error);
    }
    copy.finish().await?;
    Ok(())
}

/// Deletes every head unused for `keep_open_seconds`, in bounded batches; returns how many.
pub async fn expire_heads(pool: &PgPool, keep_open_seconds: u32) -> sqlx::Result<u64> {
    let mut deleted = 0;
    loop {
        let done = sqlx::query(EXPIRE_HEADS)
            .bind(f64::from(keep_open_seconds))
            .bind(EXPIRE_BATCH)
            .execute(pool)
            .await?
            .rows_affected();
        deleted += done;
        if done < EXPIRE_BATCH as u64 {
            return Ok(deleted);
        }
    }
}
