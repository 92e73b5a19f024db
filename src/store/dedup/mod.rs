//! Deduplicated rows. Records with a dedup key are merged per key when a request is encoded
//! ([`DedupRows`]), again across the requests of a group by the writer ([`Group`]), and stored
//! through table `dedup_heads` ([`store`]), whose primary key makes concurrent writers and
//! bridge instances agree on one row per key.

mod sql;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

pub use sql::expire_heads;

/// The records of one key: how many, and the span of their event times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seen {
    /// `ts` of the stored (first) record.
    pub ts: DateTime<Utc>,
    pub count: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl Seen {
    fn add(&mut self, other: &Seen) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// The records with a dedup key of one batch: one encoded row per key (its first record's),
/// the others only counted.
#[derive(Debug, Default)]
pub struct DedupRows {
    /// The rows, `COPY` text in `COPY_STATEMENT`'s column order, back to back.
    bytes: Vec<u8>,
    rows: HashMap<i64, (Range<usize>, Seen)>,
}

impl DedupRows {
    /// Counts a record of `key`; `encode` appends its row when it is the key's first record.
    pub fn add(&mut self, key: i64, ts: DateTime<Utc>, encode: impl FnOnce(&mut Vec<u8>)) {
        let record = Seen {
            ts,
            count: 1,
            first: ts,
            last: ts,
        };
        if let Some((_, seen)) = self.rows.get_mut(&key) {
            seen.add(&record);
            return;
        }
        let start = self.bytes.len();
        encode(&mut self.bytes);
        self.rows.insert(key, (start..self.bytes.len(), record));
    }

    /// Bytes of the encoded rows.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Distinct keys.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no record had a dedup key.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The dedup rows of a group of batches, merged by key, in key order: the order in which
/// every writer claims heads, so that concurrent writers cannot deadlock.
#[derive(Debug, Default)]
pub(super) struct Group<'a> {
    rows: BTreeMap<i64, (&'a [u8], Seen)>,
}

impl<'a> Group<'a> {
    /// Merges the batches' rows; a key's row is that of its first batch.
    pub fn merged(all: impl IntoIterator<Item = &'a DedupRows>) -> Group<'a> {
        let mut group = Group::default();
        for batch in all {
            for (key, (range, seen)) in &batch.rows {
                group
                    .rows
                    .entry(*key)
                    .and_modify(|(_, known)| known.add(seen))
                    .or_insert((&batch.bytes[range.clone()], *seen));
            }
        }
        group
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Records in the group.
    fn records(&self) -> i64 {
        self.rows.values().map(|(_, seen)| seen.count).sum()
    }

    fn seen(&self, key: i64) -> &Seen {
        &self.rows[&key].1
    }

    fn row(&self, key: i64) -> &'a [u8] {
        self.rows[&key].0
    }
}

/// Stores the group on the connection's open transaction: keys without an open row get a new
/// row, the others add their records to it. Returns the records folded into rows (all but the
/// first record of each new row), for `logbridge_dedup_merged_total`.
pub(super) async fn store(connection: &mut PgConnection, group: &Group<'_>) -> sqlx::Result<u64> {
    let heads = sql::claim_heads(connection, group).await?;
    let (new, open): (Vec<_>, Vec<_>) = heads.into_iter().partition(|head| head.inserted);
    let added = sql::add_to_rows(connection, &open, group).await?;
    // An open row may be gone (its partition dropped) or full (`dedup_count` at its limit):
    // its key gets a new row.
    let closed: Vec<i64> = open
        .iter()
        .filter(|head| !added.contains(&head.log_id))
        .map(|head| head.key)
        .collect();
    let mut rows: Vec<(i64, i64)> = new.iter().map(|head| (head.key, head.log_id)).collect();
    if !closed.is_empty() {
        rows.extend(sql::repoint_heads(connection, &closed, group).await?);
    }
    if !rows.is_empty() {
        sql::copy_rows(connection, &rows, group).await?;
    }
    Ok((group.records() - rows.len() as i64) as u64)
}

/// Deletes the heads not used for `keep_open_seconds`, a bounded batch at a time, every
/// `interval`; runs until aborted.
pub async fn expire_periodically(
    pool: PgPool,
    keep_open_seconds: u32,
    interval: std::time::Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        match expire_heads(&pool, keep_open_seconds).await {
            // The health check reports an unreachable database.
            Err(error) if super::is_connection_error(&error) => {
                tracing::debug!(%error, "expiring dedup heads failed")
            }
            Err(error) => tracing::warn!(%error, "expiring dedup heads failed"),
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
