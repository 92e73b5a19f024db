//! The per-minute rollups `log_counts` and `error_counts`, and the hourly `scope_counts`:
//! counted per batch here, upserted by the writer in the same transaction as the rows.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::PgConnection;

use crate::model::LogRecord;

/// Records per (minute, service, level) and error records per (minute, service, group).
#[derive(Debug, Default)]
pub struct Rollups {
    logs: Vec<LogCount>,
    errors: Vec<ErrorCount>,
    scopes: Vec<ScopeCount>,
}

/// Records per (hour, service, scope); `scope` is empty for records without one.
#[derive(Debug, Clone)]
struct ScopeCount {
    hour: DateTime<Utc>,
    service: String,
    scope: String,
    count: i64,
    last_seen: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct LogCount {
    minute: DateTime<Utc>,
    service: String,
    level: &'static str,
    count: i64,
}

#[derive(Debug, Clone)]
struct ErrorCount {
    minute: DateTime<Utc>,
    service: String,
    fingerprint: String,
    exception_type: Option<String>,
    message: String,
    count: i64,
    last_seen: DateTime<Utc>,
}

fn minute_of(ts: DateTime<Utc>) -> DateTime<Utc> {
    ts.duration_trunc(TimeDelta::minutes(1)).unwrap_or(ts)
}

fn hour_of(ts: DateTime<Utc>) -> DateTime<Utc> {
    ts.duration_trunc(TimeDelta::hours(1)).unwrap_or(ts)
}

impl Rollups {
    /// Counts one record. The keys of a batch are few (records of a request share a service
    /// and mostly a minute), so a scan from the most recent key is cheap.
    pub fn add(&mut self, record: &LogRecord) {
        let minute = minute_of(record.ts);
        let level = record.level.as_str();
        let found = self
            .logs
            .iter_mut()
            .rev()
            .find(|c| c.minute == minute && c.level == level && c.service == record.service);
        match found {
            Some(count) => count.count += 1,
            None => self.logs.push(LogCount {
                minute,
                service: record.service.clone(),
                level,
                count: 1,
            }),
        }
        if let Some(fingerprint) = &record.error_fingerprint {
            self.add_error(record, minute, fingerprint);
        }
        self.add_scope(ScopeCount {
            hour: hour_of(record.ts),
            service: record.service.clone(),
            scope: record.scope.clone().unwrap_or_default(),
            count: 1,
            last_seen: record.ts,
        });
    }

    /// Counts records of one scope, most recent key first (records of a batch share a few).
    fn add_scope(&mut self, count: ScopeCount) {
        let found =
            self.scopes.iter_mut().rev().find(|c| {
                c.hour == count.hour && c.scope == count.scope && c.service == count.service
            });
        match found {
            Some(known) => {
                known.count += count.count;
                known.last_seen = known.last_seen.max(count.last_seen);
            }
            None => self.scopes.push(count),
        }
    }

    fn add_error(&mut self, record: &LogRecord, minute: DateTime<Utc>, fingerprint: &str) {
        let exception = record.exception.as_ref();
        let message = || exception.map_or(&record.body, |e| &e.message).clone();
        let exception_type = || exception.map(|e| e.exception_type.clone());
        let found = self.errors.iter_mut().rev().find(|c| {
            c.minute == minute && c.fingerprint == fingerprint && c.service == record.service
        });
        match found {
            // Copy the message only when it becomes the group's latest.
            Some(known) => {
                known.count += 1;
                if record.ts >= known.last_seen {
                    known.last_seen = record.ts;
                    known.message = message();
                    known.exception_type = exception_type();
                }
            }
            None => self.errors.push(ErrorCount {
                minute,
                service: record.service.clone(),
                fingerprint: fingerprint.to_string(),
                exception_type: exception_type(),
                message: message(),
                count: 1,
                last_seen: record.ts,
            }),
        }
    }

    fn merge_error(&mut self, error: ErrorCount) {
        let found = self.errors.iter_mut().find(|c| {
            c.minute == error.minute
                && c.fingerprint == error.fingerprint
                && c.service == error.service
        });
        match found {
            Some(known) if error.last_seen >= known.last_seen => {
                known.count += error.count;
                (known.last_seen, known.message) = (error.last_seen, error.message);
                known.exception_type = error.exception_type;
            }
            Some(known) => known.count += error.count,
            None => self.errors.push(error),
        }
    }

    /// The rollups of several batches together, in key order so that concurrent writers lock
    /// rollup rows in the same order (no deadlocks).
    pub fn merged<'a>(all: impl IntoIterator<Item = &'a Rollups>) -> Rollups {
        let mut merged = Rollups::default();
        for rollups in all {
            for count in &rollups.logs {
                let found = merged.logs.iter_mut().find(|c| {
                    c.minute == count.minute && c.level == count.level && c.service == count.service
                });
                match found {
                    Some(known) => known.count += count.count,
                    None => merged.logs.push(count.clone()),
                }
            }
            rollups
                .errors
                .iter()
                .cloned()
                .for_each(|e| merged.merge_error(e));
            rollups
                .scopes
                .iter()
                .cloned()
                .for_each(|c| merged.add_scope(c));
        }
        merged
            .logs
            .sort_by(|a, b| (a.minute, &a.service, a.level).cmp(&(b.minute, &b.service, b.level)));
        merged.errors.sort_by(|a, b| {
            (a.minute, &a.service, &a.fingerprint).cmp(&(b.minute, &b.service, &b.fingerprint))
        });
        merged
            .scopes
            .sort_by(|a, b| (a.hour, &a.service, &a.scope).cmp(&(b.hour, &b.service, &b.scope)));
        merged
    }
}

const UPSERT_LOGS: &str = "
INSERT INTO log_counts AS c (minute, service, level, count)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::bigint[])
ON CONFLICT (minute, service, level) DO UPDATE SET count = c.count + excluded.count";

const UPSERT_ERRORS: &str = "
INSERT INTO error_counts AS c
    (minute, service, fingerprint, exception_type, message, count, last_seen)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::bigint[], $7::timestamptz[])
ON CONFLICT (minute, service, fingerprint) DO UPDATE SET
    count = c.count + excluded.count,
    message = CASE WHEN excluded.last_seen >= c.last_seen THEN excluded.message ELSE c.message END,
    exception_type = CASE WHEN excluded.last_seen >= c.last_seen
                          THEN excluded.exception_type ELSE c.exception_type END,
    last_seen = greatest(c.last_seen, excluded.last_seen)";

const UPSERT_SCOPES: &str = "
INSERT INTO scope_counts AS c (hour, service, scope, count, last_seen)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])
ON CONFLICT (hour, service, scope) DO UPDATE SET
    count = c.count + excluded.count,
    last_seen = greatest(c.last_seen, excluded.last_seen)";

/// Adds merged rollups to their tables on the connection's open transaction.
pub async fn upsert(connection: &mut PgConnection, rollups: &Rollups) -> sqlx::Result<()> {
    upsert_scopes(connection, &rollups.scopes).await?;
    let logs = &rollups.logs;
    sqlx::query(UPSERT_LOGS)
        .bind(logs.iter().map(|c| c.minute).collect::<Vec<_>>())
        .bind(logs.iter().map(|c| c.service.clone()).collect::<Vec<_>>())
        .bind(logs.iter().map(|c| c.level).collect::<Vec<_>>())
        .bind(logs.iter().map(|c| c.count).collect::<Vec<_>>())
        .execute(&mut *connection)
        .await?;
    let errors = &rollups.errors;
    if errors.is_empty() {
        return Ok(());
    }
    sqlx::query(UPSERT_ERRORS)
        .bind(errors.iter().map(|e| e.minute).collect::<Vec<_>>())
        .bind(errors.iter().map(|e| e.service.clone()).collect::<Vec<_>>())
        .bind(
            errors
                .iter()
                .map(|e| e.fingerprint.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            errors
                .iter()
                .map(|e| e.exception_type.clone())
                .collect::<Vec<_>>(),
        )
        .bind(errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>())
        .bind(errors.iter().map(|e| e.count).collect::<Vec<_>>())
        .bind(errors.iter().map(|e| e.last_seen).collect::<Vec<_>>())
        .execute(connection)
        .await?;
    Ok(())
}

async fn upsert_scopes(connection: &mut PgConnection, scopes: &[ScopeCount]) -> sqlx::Result<()> {
    if scopes.is_empty() {
        return Ok(());
    }
    sqlx::query(UPSERT_SCOPES)
        .bind(scopes.iter().map(|c| c.hour).collect::<Vec<_>>())
        .bind(scopes.iter().map(|c| c.service.clone()).collect::<Vec<_>>())
        .bind(scopes.iter().map(|c| c.scope.clone()).collect::<Vec<_>>())
        .bind(scopes.iter().map(|c| c.count).collect::<Vec<_>>())
        .bind(scopes.iter().map(|c| c.last_seen).collect::<Vec<_>>())
        .execute(connection)
        .await?;
    Ok(())
}
