//! The per-minute rollups `log_counts` and `error_counts`: counted per batch here, upserted by
//! the writer in the same transaction as the rows.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::PgConnection;

use crate::model::LogRecord;

/// Records per (minute, service, level) and error records per (minute, service, group).
#[derive(Debug, Default)]
pub struct Rollups {
    logs: Vec<LogCount>,
    errors: Vec<ErrorCount>,
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
        }
        merged
            .logs
            .sort_by(|a, b| (a.minute, &a.service, a.level).cmp(&(b.minute, &b.service, b.level)));
        merged.errors.sort_by(|a, b| {
            (a.minute, &a.service, &a.fingerprint).cmp(&(b.minute, &b.service, &b.fingerprint))
        });
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

/// Adds merged rollups to their tables on the connection's open transaction.
pub async fn upsert(connection: &mut PgConnection, rollups: &Rollups) -> sqlx::Result<()> {
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
