//! The retention job inside `serve`: a first run a few minutes after start (not at once: many
//! bridges may start together), then one every `retention.interval_seconds`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{Retention, RunReport, RunStatus, Trigger};
use crate::config::RetentionConfig;
use crate::metrics::RetentionMetrics;

/// How long a stopping bridge waits for a run to reach its next partition before cutting it
/// off; a cut run leaves at worst a detached partition, which the next run finishes.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The scheduled job; stop it with [`Schedule::stop`].
pub struct Schedule {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

/// Starts the schedule, unless `retention.enabled` is off.
pub fn spawn(
    retention: Retention,
    config: &RetentionConfig,
    metrics: Arc<RetentionMetrics>,
) -> Option<Schedule> {
    if !config.enabled {
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Notify::new());
    let timing = (
        Duration::from_secs(config.first_run_delay_seconds),
        Duration::from_secs(config.interval_seconds),
    );
    let task = tokio::spawn(repeat(
        retention,
        timing,
        metrics,
        stop.clone(),
        wake.clone(),
    ));
    Some(Schedule { stop, wake, task })
}

async fn repeat(
    retention: Retention,
    (first, interval): (Duration, Duration),
    metrics: Arc<RetentionMetrics>,
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
) {
    let mut delay = first;
    loop {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = wake.notified() => return,
        }
        match retention.run(Trigger::Schedule, &stop).await {
            Ok(report) => observe(&metrics, &report),
            Err(error) => {
                tracing::error!(%error, "retention run failed");
                metrics.observe_run(RunStatus::Failed.as_str());
            }
        }
        delay = interval;
    }
}

/// Counts a run in the metrics.
pub fn observe(metrics: &RetentionMetrics, report: &RunReport) {
    metrics.observe_run(report.status.as_str());
    let archive_failures = report
        .failed
        .iter()
        .filter(|failed| matches!(failed.step, "archive" | "verify"))
        .count();
    metrics.observe_partitions(
        report.dropped.len(),
        report.archived.len(),
        archive_failures,
    );
    for (table, rows) in &report.deleted {
        metrics.observe_deleted(table, *rows);
    }
    if report.status == RunStatus::Ok {
        metrics.set_last_success(chrono::Utc::now().timestamp());
    }
}

impl Schedule {
    /// Stops the schedule: a run in progress stops before its next partition.
    pub async fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_one();
        if tokio::time::timeout(STOP_WAIT, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!("retention run cut off by shutdown; the next run finishes it");
            self.task.abort();
        }
    }
}
