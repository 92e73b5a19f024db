//! The retention job, the last stage of a record's life: partitions of `logs` past their
//! retention class's days are detached, archived when an archive is configured, and dropped
//! whole, and so are the day partitions of `spans` ([`spans`], archived too); the smaller tables lose their
//! old rows in short batches. One run at a time across
//! every bridge (a PostgreSQL advisory lock); each run is recorded in `retention_runs`.
//! [`schedule`] runs it inside `serve`; `cli::retention` is `logbridge retention run`.

mod catalog;
pub mod check;
mod ddl;
mod expire;
mod plan;
mod record;
mod run;
pub mod schedule;
mod spans;
mod tables;

pub use plan::{Plan, Planned};

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;

use super::anonymize::Anonymized;
use super::archive::Archive;
use crate::config::{Config, ConfigError, RetentionConfig};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The schedule inside `serve`.
    Schedule,
    /// `logbridge retention run`.
    Command,
    /// `POST /api/v1/retention/run`.
    Api,
}

impl Trigger {
    /// The name in `retention_runs.trigger`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Command => "command",
            Trigger::Api => "api",
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Everything due was done.
    Ok,
    /// Some partitions or tables failed (and were left in place), others were done.
    Partial,
    /// Something failed and no partition was dropped.
    Failed,
    /// Another run held the lock; this one did nothing.
    Skipped,
}

impl RunStatus {
    /// The name in `retention_runs.status` and the metrics' `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
        }
    }
}

/// A partition written to the archive.
#[derive(Debug, Clone, Serialize)]
pub struct Archived {
    pub partition: String,
    pub day: NaiveDate,
    pub class: String,
    pub rows: u64,
    /// The archive file, as the archive names it.
    pub file: String,
}

/// A partition dropped.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub partition: String,
    pub day: NaiveDate,
    pub class: String,
    /// Whether it was archived first.
    pub archived: bool,
}

/// Something that failed and was left in place.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    /// The partition or table.
    pub target: String,
    /// What was being done: `detach`, `archive`, `verify`, `reattach`, `drop`, `finalize`,
    /// `prune`; `skipped` for a partition not tried after an archive failure.
    pub step: &'static str,
    pub error: String,
}

/// What one run did; stored in `retention_runs` and counted in the metrics.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Its `retention_runs.id`.
    pub id: i64,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub archived: Vec<Archived>,
    pub dropped: Vec<Dropped>,
    pub failed: Vec<Failed>,
    /// Rows deleted per table beside `logs`.
    pub deleted: BTreeMap<&'static str, u64>,
    /// Partitions whose IP addresses were truncated, with the rows changed.
    pub anonymized: Vec<Anonymized>,
    /// Why the run was skipped or ended early.
    pub message: Option<String>,
}

/// A run that could not be carried out at all (the database is unreachable).
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("the retention run failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// The retention job, configured; runs share nothing but the pool.
pub struct Retention {
    pool: PgPool,
    config: RetentionConfig,
    archive: Option<Archive>,
}

impl Retention {
    /// The job on a migrated database; its settings are checked ([`check`]), and an unusable
    /// archive location is an error naming it.
    pub fn new(pool: PgPool, config: &Config) -> Result<Retention, ConfigError> {
        check::check(&config.retention).map_err(|error| ConfigError::Invalid {
            origin: "configuration".to_string(),
            message: error.to_string(),
        })?;
        Ok(Retention {
            pool,
            config: config.retention.clone(),
            archive: Archive::from_config(&config.archive)?,
        })
    }

    /// Runs once: recovers what an interrupted run left, expires partitions, prunes the other
    /// tables, and records the run. Stops between partitions once `stop` is set.
    pub async fn run(
        &self,
        trigger: Trigger,
        stop: &AtomicBool,
    ) -> Result<RunReport, RetentionError> {
        run::run(self, trigger, stop).await
    }
}
