//! Table `retention_runs`: a row per run, inserted when it starts and completed when it ends.

use sqlx::PgPool;
use sqlx::types::Json;

use super::{RunReport, Trigger};

/// Inserts a run in state `running`; returns its id.
pub(super) async fn start(pool: &PgPool, trigger: Trigger) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO retention_runs (trigger) VALUES ($1) RETURNING id")
        .bind(trigger.as_str())
        .fetch_one(pool)
        .await
}

/// Records what the run did, and when it ended.
pub(super) async fn finish(pool: &PgPool, report: &RunReport) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE retention_runs SET finished_at = now(), status = $2, archived = $3, \
         dropped = $4, failed = $5, deleted = $6, message = $7, anonymized = $8 WHERE id = $1",
    )
    .bind(report.id)
    .bind(report.status.as_str())
    .bind(Json(&report.archived))
    .bind(Json(&report.dropped))
    .bind(Json(&report.failed))
    .bind(Json(&report.deleted))
    .bind(report.message.as_deref())
    .bind(Json(&report.anonymized))
    .execute(pool)
    .await?;
    Ok(())
}
