//! `GET /api/v1/health` and `POST /api/v1/retention/run`, for admins: how the bridge and its
//! database are doing (database, ingest queue, last commit, partitions ahead, last retention
//! run, archive location), and a retention run started on demand, answered with its report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::error::{ApiError, ErrorBody};
use super::{Caller, QueryState, with_rows};
use crate::auth::Role;
use crate::config::Config;
use crate::jobs::archive::Archive;
use crate::jobs::retention::{Retention, RunReport};
use crate::store::Store;
use crate::store::read::operations::{self, RetentionRunRow};

/// A queue this full (of records or bytes) makes the bridge unhealthy.
const QUEUE_FILL_UNHEALTHY: f64 = 0.9;

/// What the health view and the retention endpoint need besides the read pool.
pub struct Operations {
    pub store: Store,
    pub retention: Retention,
    pub archive: Option<Archive>,
    pub queue_max_records: usize,
    pub queue_max_bytes: usize,
    pub partitions_ahead_days: u32,
}

impl Operations {
    /// From the running store and the configuration; the retention job is the one `serve`
    /// schedules, configured alike (runs of both are serialized by its advisory lock).
    pub fn new(store: Store, retention: Retention, config: &Config) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Operations {
            store,
            retention,
            archive: Archive::from_config(&config.archive)?,
            queue_max_records: config.ingest.queue_max_records,
            queue_max_bytes: config.ingest.queue_max_bytes,
            partitions_ahead_days: config.storage.partitions_ahead_days,
        }))
    }
}

/// The bridge's health.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthView {
    /// Database reachable, queue under 90 % full, every partition ahead made, the last
    /// retention run not failed, the archive (if any) reachable.
    pub healthy: bool,
    /// Whether the database answers this bridge's reads and commits.
    pub database_reachable: bool,
    pub queue: QueueFill,
    /// Seconds since this bridge last committed; null before its first commit.
    pub last_commit_age_seconds: Option<f64>,
    pub partitions: PartitionsAhead,
    /// Null before the first run.
    pub last_retention_run: Option<RetentionRunRow>,
    pub archive: ArchiveState,
}

/// The ingest queue of this bridge.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueFill {
    pub records: usize,
    pub bytes: usize,
    pub max_records: usize,
    pub max_bytes: usize,
    /// The fuller of records and bytes, 0 to 1.
    pub fill: f64,
}

/// Day partitions of `logs` made after today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartitionsAhead {
    /// Days after today made, from tomorrow to the first missing day.
    pub days_ahead: u32,
    /// `storage.partitions_ahead_days`.
    pub wanted: u32,
}

/// The archive location.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArchiveState {
    /// Whether archiving is on with a location.
    pub configured: bool,
    /// Where partitions are archived (to change: `archive.location`).
    pub location: Option<String>,
    /// Whether listing the location works; null when none is configured.
    pub reachable: Option<bool>,
}

/// How the bridge and its database are doing (admin).
#[utoipa::path(get, path = "/api/v1/health", operation_id = "bridge_health", tag = "operations",
    responses((status = 200, body = HealthView), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn health(State(state): State<QueryState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::is_admin, "see the bridge's health")?;
    let ops = &state.operations;
    let database_reachable =
        ops.store.health().is_ready() && operations::reachable(&state.pool).await;
    let days_ahead = operations::days_ahead(&state.pool, Utc::now().date_naive()).await?;
    let last_retention_run = operations::last_retention_run(&state.pool).await?;
    let queue = queue_fill(ops);
    let archive = archive_state(ops.archive.as_ref()).await;
    let partitions = PartitionsAhead {
        days_ahead,
        wanted: ops.partitions_ahead_days,
    };
    let retention_failed = last_retention_run
        .as_ref()
        .is_some_and(|r| r.status == "failed");
    let healthy = database_reachable
        && queue.fill < QUEUE_FILL_UNHEALTHY
        && partitions.days_ahead >= partitions.wanted
        && !retention_failed
        && archive.reachable != Some(false);
    let view = HealthView {
        healthy,
        database_reachable,
        queue,
        last_commit_age_seconds: ops
            .store
            .health()
            .last_commit_age()
            .map(|a| a.as_secs_f64()),
        partitions,
        last_retention_run,
        archive,
    };
    Ok(with_rows(Json(view), 1))
}

fn queue_fill(ops: &Operations) -> QueueFill {
    let (records, bytes) = ops.store.queue_depth();
    let ratio = |used: usize, max: usize| used as f64 / max.max(1) as f64;
    QueueFill {
        records,
        bytes,
        max_records: ops.queue_max_records,
        max_bytes: ops.queue_max_bytes,
        fill: ratio(records, ops.queue_max_records).max(ratio(bytes, ops.queue_max_bytes)),
    }
}

async fn archive_state(archive: Option<&Archive>) -> ArchiveState {
    let Some(archive) = archive else {
        return ArchiveState {
            configured: false,
            location: None,
            reachable: None,
        };
    };
    let reachable = match archive.reachable().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, location = archive.location(), "archive location unreachable");
            false
        }
    };
    ArchiveState {
        configured: true,
        location: Some(archive.location().to_string()),
        reachable: Some(reachable),
    }
}

/// What a retention run did (as recorded in `retention_runs`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetentionRunReport {
    /// Its `retention_runs.id`.
    pub id: i64,
    /// `api` for a run started here.
    pub trigger: &'static str,
    /// `ok`, `partial`, `failed`, or `skipped` when another run held the lock.
    pub status: &'static str,
    /// Partitions archived: `{"partition", "day", "class", "rows", "file"}`.
    #[schema(value_type = Vec<Object>)]
    pub archived: Value,
    /// Partitions dropped: `{"partition", "day", "class", "archived"}`.
    #[schema(value_type = Vec<Object>)]
    pub dropped: Value,
    /// What failed and was left in place: `{"target", "step", "error"}`.
    #[schema(value_type = Vec<Object>)]
    pub failed: Value,
    /// Rows deleted per table beside `logs`.
    pub deleted: BTreeMap<&'static str, u64>,
    /// Partitions whose IP addresses were truncated.
    #[schema(value_type = Vec<Object>)]
    pub anonymized: Value,
    /// Why the run was skipped or ended early.
    pub message: Option<String>,
}

impl From<RunReport> for RetentionRunReport {
    fn from(report: RunReport) -> Self {
        let json = |value: serde_json::Result<Value>| value.unwrap_or(Value::Null);
        RetentionRunReport {
            id: report.id,
            trigger: report.trigger.as_str(),
            status: report.status.as_str(),
            archived: json(serde_json::to_value(&report.archived)),
            dropped: json(serde_json::to_value(&report.dropped)),
            failed: json(serde_json::to_value(&report.failed)),
            deleted: report.deleted,
            anonymized: json(serde_json::to_value(&report.anonymized)),
            message: report.message,
        }
    }
}

/// Runs the retention job once, now, and answers its report (admin). Another run in progress
/// makes this one `skipped`.
#[utoipa::path(post, path = "/api/v1/retention/run", operation_id = "run_retention", tag = "operations",
    responses((status = 200, body = RetentionRunReport), (status = 403, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_retention(
    State(state): State<QueryState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require(Role::is_admin, "run retention")?;
    let never_stop = AtomicBool::new(false);
    let ran = state
        .operations
        .retention
        .run(crate::jobs::retention::Trigger::Api, &never_stop)
        .await;
    let report = ran.map_err(|error| {
        tracing::error!(%error, "retention run through the API failed");
        ApiError::unavailable()
    })?;
    Ok(with_rows(Json(RetentionRunReport::from(report)), 1))
}
