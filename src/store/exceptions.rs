//! Exception groups: the occurrences in a batch (of log records and of spans' `exception`
//! events alike), counted per group, and their upsert into table
//! `exception_groups` in the same transaction as the rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::model::{ExceptionInfo, LogRecord};
use crate::pipeline::grouping;

/// Occurrences per exception group, ordered by fingerprint so that concurrent writers lock
/// group rows in the same order (no deadlocks).
#[derive(Debug, Default)]
pub struct ExceptionCounts {
    groups: BTreeMap<String, Occurrences>,
    /// Occurrences and last time per group and call path (see [`grouping::call_path`]).
    paths: BTreeMap<(String, String), (i64, DateTime<Utc>)>,
}

#[derive(Debug, Clone)]
struct Occurrences {
    service: String,
    exception_type: String,
    message: String,
    stacktrace: Option<String>,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    count: i64,
}

impl Occurrences {
    fn merge(&mut self, other: &Occurrences) {
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.count += other.count;
    }
}

impl ExceptionCounts {
    /// Counts the record's exception, if it has one. Only a group's first occurrence in the
    /// batch is copied (its stack trace may be 64 KiB); later ones just count.
    pub fn add(&mut self, record: &LogRecord) {
        if let Some(exception) = &record.exception {
            self.add_exception(&record.service, record.ts, exception);
        }
    }

    /// Counts one exception of `service` that occurred at `ts`: a log record's or a span
    /// event's, into the same group when their fingerprints agree.
    pub fn add_exception(&mut self, service: &str, ts: DateTime<Utc>, exception: &ExceptionInfo) {
        let path = grouping::call_path(exception.stacktrace.as_deref().unwrap_or_default());
        self.add_path((exception.fingerprint.clone(), path), 1, ts);
        if let Some(known) = self.groups.get_mut(&exception.fingerprint) {
            known.first_seen = known.first_seen.min(ts);
            known.last_seen = known.last_seen.max(ts);
            known.count += 1;
            return;
        }
        let occurrence = Occurrences {
            service: service.to_string(),
            exception_type: exception.exception_type.clone(),
            message: exception.message.clone(),
            stacktrace: exception.stacktrace.clone(),
            first_seen: ts,
            last_seen: ts,
            count: 1,
        };
        self.insert(&exception.fingerprint, occurrence);
    }

    fn add_path(&mut self, key: (String, String), count: i64, ts: DateTime<Utc>) {
        let entry = self.paths.entry(key).or_insert((0, ts));
        entry.0 += count;
        entry.1 = entry.1.max(ts);
    }

    /// Whether no record had an exception.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    fn insert(&mut self, fingerprint: &str, occurrence: Occurrences) {
        match self.groups.get_mut(fingerprint) {
            Some(known) => known.merge(&occurrence),
            None => {
                self.groups.insert(fingerprint.to_string(), occurrence);
            }
        }
    }

    /// The counts of several batches together.
    pub fn merged<'a>(all: impl IntoIterator<Item = &'a ExceptionCounts>) -> ExceptionCounts {
        let mut merged = ExceptionCounts::default();
        for counts in all {
            for (fingerprint, occurrence) in &counts.groups {
                merged.insert(fingerprint, occurrence.clone());
            }
            for (key, (count, ts)) in &counts.paths {
                merged.add_path(key.clone(), *count, *ts);
            }
        }
        merged
    }
}

/// Adds the occurrences to their groups, creating new groups, and reopens resolved groups that
/// occurred after they were resolved, marking them as regressions.
const UPSERT: &str = "
INSERT INTO exception_groups AS g
    (fingerprint, service, exception_type, message, sample_stacktrace,
     first_seen, last_seen, occurrences)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::timestamptz[], $7::timestamptz[], $8::bigint[])
ON CONFLICT (fingerprint) DO UPDATE SET
    occurrences = g.occurrences + excluded.occurrences,
    first_seen = least(g.first_seen, excluded.first_seen),
    last_seen = greatest(g.last_seen, excluded.last_seen),
    sample_stacktrace = coalesce(excluded.sample_stacktrace, g.sample_stacktrace),
    regression = g.regression OR (g.resolved AND excluded.last_seen > g.resolved_at),
    reopened_at = CASE WHEN g.resolved AND excluded.last_seen > g.resolved_at
                       THEN now() ELSE g.reopened_at END,
    resolved = g.resolved AND excluded.last_seen <= g.resolved_at";

/// Writes the counts into `exception_groups` and `exception_group_paths` on the connection's
/// open transaction.
pub async fn upsert(connection: &mut PgConnection, counts: &ExceptionCounts) -> sqlx::Result<()> {
    let counts_ref = counts;
    let groups = counts.groups.iter();
    let column = |f: fn(&Occurrences) -> String| groups.clone().map(|(_, o)| f(o)).collect();
    let fingerprints: Vec<String> = groups.clone().map(|(f, _)| f.clone()).collect();
    let services: Vec<String> = column(|o| o.service.clone());
    let types: Vec<String> = column(|o| o.exception_type.clone());
    let messages: Vec<String> = column(|o| o.message.clone());
    let stacks: Vec<Option<String>> = groups.clone().map(|(_, o)| o.stacktrace.clone()).collect();
    let first: Vec<DateTime<Utc>> = groups.clone().map(|(_, o)| o.first_seen).collect();
    let last: Vec<DateTime<Utc>> = groups.clone().map(|(_, o)| o.last_seen).collect();
    let counts: Vec<i64> = groups.map(|(_, o)| o.count).collect();
    sqlx::query(UPSERT)
        .bind(fingerprints)
        .bind(services)
        .bind(types)
        .bind(messages)
        .bind(stacks)
        .bind(first)
        .bind(last)
        .bind(counts)
        .execute(&mut *connection)
        .await?;
    upsert_paths(connection, &counts_paths(counts_ref)).await
}

/// Adds the occurrences of each call path to its group's (after the groups exist).
const UPSERT_PATHS: &str = "
INSERT INTO exception_group_paths AS p (fingerprint, path, occurrences, last_seen)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[])
ON CONFLICT (fingerprint, path) DO UPDATE SET
    occurrences = p.occurrences + excluded.occurrences,
    last_seen = greatest(p.last_seen, excluded.last_seen)";

type PathColumns = (Vec<String>, Vec<String>, Vec<i64>, Vec<DateTime<Utc>>);

/// The call path counts as columns, in key order (so writers lock rows in one order).
fn counts_paths(counts: &ExceptionCounts) -> PathColumns {
    let mut columns = PathColumns::default();
    for ((fingerprint, path), (count, ts)) in &counts.paths {
        columns.0.push(fingerprint.clone());
        columns.1.push(path.clone());
        columns.2.push(*count);
        columns.3.push(*ts);
    }
    columns
}

async fn upsert_paths(connection: &mut PgConnection, columns: &PathColumns) -> sqlx::Result<()> {
    let (fingerprints, paths, counts, last_seen) = columns;
    sqlx::query(UPSERT_PATHS)
        .bind(fingerprints)
        .bind(paths)
        .bind(counts)
        .bind(last_seen)
        .execute(connection)
        .await?;
    Ok(())
}
