//! One run of the retention job: the advisory lock, the steps in order, and its record.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Days, NaiveDate, Utc};
use sqlx::{Connection as _, PgConnection};

use super::{Failed, Retention, RetentionError, RunReport, RunStatus, Trigger, record, tables};
use crate::jobs::anonymize;
use crate::pipeline::redact::truncate_ip;
use crate::store::is_connection_error;

/// The session advisory lock a run holds, so that one runs at a time on a database ("lbretent").
const LOCK_KEY: i64 = 0x6c62_7265_7465_6e74;

/// The steps of a run, in order. A step's failures are recorded and the run goes on; only a
/// lost connection ends it early.
const STEPS: [Step; 6] = [
    Step::Recover,
    Step::AnonymizeIps,
    Step::ExpirePartitions,
    Step::DropEmptyDays,
    Step::ExpireSpans,
    Step::PruneTables,
];

#[derive(Debug, Clone, Copy)]
enum Step {
    /// Finishes what an interrupted run left: pending detaches, detached tables.
    Recover,
    /// Truncates the IP addresses in partitions older than `anonymize_ips_after_days`.
    AnonymizeIps,
    /// Detaches, archives and drops the partitions past their class's days.
    ExpirePartitions,
    /// Drops the day partitions left without any class partition.
    DropEmptyDays,
    /// Archives and drops the day partitions of `spans` past their classes' days.
    ExpireSpans,
    /// Deletes the old rows of the tables beside `logs`.
    PruneTables,
}

/// A run in progress: its own connection (which holds the lock) and what it has done so far.
pub(super) struct Run<'a> {
    pub retention: &'a Retention,
    pub connection: PgConnection,
    pub report: RunReport,
    pub today: NaiveDate,
    stop: &'a AtomicBool,
}

/// One run, in a span carrying its trigger and, once done, its outcome counts.
#[tracing::instrument(
    name = "retention.run",
    skip_all,
    fields(
        trigger = trigger.as_str(),
        run = tracing::field::Empty,
        status = tracing::field::Empty,
        archived = tracing::field::Empty,
        dropped = tracing::field::Empty,
        failed = tracing::field::Empty,
        anonymized = tracing::field::Empty,
        deleted_rows = tracing::field::Empty,
    )
)]
pub(super) async fn run(
    retention: &Retention,
    trigger: Trigger,
    stop: &AtomicBool,
) -> Result<RunReport, RetentionError> {
    let pool = &retention.pool;
    let mut connection = connect(retention).await?;
    let mut report = RunReport::new(record::start(pool, trigger).await?, trigger);
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut connection)
        .await?;
    if !locked {
        tracing::info!(
            run = report.id,
            "retention: another run holds the lock; skipped"
        );
        report.status = RunStatus::Skipped;
        report.message = Some("another retention run holds the lock".to_string());
        record::finish(pool, &report).await?;
        record_outcome(&report);
        return Ok(report);
    }
    let run = Run {
        retention,
        connection,
        report,
        today: Utc::now().date_naive(),
        stop,
    };
    let report = run.complete().await;
    record::finish(pool, &report).await?;
    record_outcome(&report);
    tracing::info!(
        run = report.id,
        status = report.status.as_str(),
        dropped = report.dropped.len(),
        failed = report.failed.len(),
        "retention run finished"
    );
    Ok(report)
}

/// Records a finished run's outcome on its span.
fn record_outcome(report: &RunReport) {
    let span = tracing::Span::current();
    span.record("run", report.id);
    span.record("status", report.status.as_str());
    span.record("archived", report.archived.len());
    span.record("dropped", report.dropped.len());
    span.record("failed", report.failed.len());
    span.record("anonymized", report.anonymized.len());
    span.record("deleted_rows", report.deleted.values().sum::<u64>());
}

/// Whether a day's rows kept `days` are past keeping on `today`: the day ended `days` ago or
/// more.
pub(super) fn expired(day: NaiveDate, days: u32, today: NaiveDate) -> bool {
    day.checked_add_days(Days::new(u64::from(days) + 1))
        .is_some_and(|end| end <= today)
}

/// The run's own connection (its session holds the advisory lock), with its lock timeout.
async fn connect(retention: &Retention) -> Result<PgConnection, sqlx::Error> {
    let options = retention.pool.connect_options();
    let mut connection = PgConnection::connect_with(&options).await?;
    let seconds = retention.config.lock_timeout_seconds;
    let timeout = format!("SET lock_timeout = '{seconds}s'");
    sqlx::raw_sql(sqlx::AssertSqlSafe(timeout))
        .execute(&mut connection)
        .await?;
    Ok(connection)
}

impl Run<'_> {
    /// Runs the steps, releases the lock and gives the report with its outcome.
    async fn complete(mut self) -> RunReport {
        if let Err(error) = self.steps().await {
            tracing::error!(run = self.report.id, %error, "retention run ended early");
            self.report.message = Some(format!("ended early: {error}"));
            self.report.fail("run", "run", error.to_string());
        }
        // Closing the connection releases the lock.
        let _ = self.connection.close().await;
        let mut report = self.report;
        report.status = report.outcome();
        report
    }

    async fn steps(&mut self) -> Result<(), sqlx::Error> {
        for step in STEPS {
            if self.stopping() {
                return Ok(());
            }
            match step {
                Step::Recover => self.recover().await?,
                Step::AnonymizeIps => self.anonymize_ips().await?,
                Step::ExpirePartitions => self.expire_partitions().await?,
                Step::DropEmptyDays => self.drop_empty_days().await?,
                Step::ExpireSpans => self.expire_spans().await?,
                Step::PruneTables => self.prune_tables().await?,
            }
        }
        Ok(())
    }

    /// Whether the bridge is shutting down; the run then stops before its next partition.
    pub fn stopping(&mut self) -> bool {
        let stopping = self.stop.load(Ordering::Relaxed);
        if stopping && self.report.message.is_none() {
            self.report.message = Some("stopped early: the bridge is shutting down".to_string());
        }
        stopping
    }

    /// The result of one statement on one target: its value; or, for a failure that concerns
    /// only that target, `None` after recording it. A lost connection ends the run.
    pub fn settle<T>(
        &mut self,
        target: &str,
        step: &'static str,
        result: Result<T, sqlx::Error>,
    ) -> Result<Option<T>, sqlx::Error> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(error) if is_connection_error(&error) => Err(error),
            Err(error) => {
                tracing::warn!(%target, step, %error, "retention: left in place");
                self.report.fail(target, step, error.to_string());
                Ok(None)
            }
        }
    }

    /// Whether a day's rows kept `days` are past keeping: the day ended `days` ago or more.
    pub fn expired(&self, day: NaiveDate, days: u32) -> bool {
        expired(day, days, self.today)
    }

    async fn anonymize_ips(&mut self) -> Result<(), sqlx::Error> {
        let Some(days) = self.retention.config.anonymize_ips_after_days else {
            return Ok(());
        };
        let truncate = |text: &str| match truncate_ip(text) {
            Cow::Owned(truncated) if truncated != text => Some(truncated),
            _ => None,
        };
        let result = anonymize::run(&self.retention.pool, days, &truncate).await;
        if let Some(done) = self.settle("logs", "anonymize_ips", result)? {
            self.report.anonymized = done;
        }
        Ok(())
    }

    async fn prune_tables(&mut self) -> Result<(), sqlx::Error> {
        let now = Utc::now();
        for table in tables::pruned(&self.retention.config) {
            let result = table.prune(&mut self.connection, now).await;
            if let Some(rows) = self.settle(table.table, "prune", result)? {
                self.report.deleted.insert(table.table, rows);
            }
        }
        Ok(())
    }
}

impl RunReport {
    fn new(id: i64, trigger: Trigger) -> RunReport {
        RunReport {
            id,
            trigger,
            status: RunStatus::Ok,
            archived: Vec::new(),
            dropped: Vec::new(),
            failed: Vec::new(),
            deleted: BTreeMap::new(),
            anonymized: Vec::new(),
            message: None,
        }
    }

    /// Records a failure.
    pub(super) fn fail(&mut self, target: &str, step: &'static str, error: String) {
        self.failed.push(Failed {
            target: target.to_string(),
            step,
            error,
        });
    }

    /// `ok` when everything due was done; `partial` when the run stopped early (shutdown), or
    /// something failed but partitions were archived or dropped; else `failed`.
    fn outcome(&self) -> RunStatus {
        if self.failed.is_empty() {
            match self.message {
                None => RunStatus::Ok,
                Some(_) => RunStatus::Partial,
            }
        } else if !self.dropped.is_empty() || !self.archived.is_empty() {
            RunStatus::Partial
        } else {
            RunStatus::Failed
        }
    }
}
